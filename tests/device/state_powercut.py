# Power-cut victim, run (and SIGKILLed) by tests/host/test_state.py on the Unix port:
# load the state, say which one it is and whether every byte is what that state must hold,
# then save states c+1, c+2, ... until killed. Every state is recognisable from its counter c:
# the buffers are windows into reference patterns that start at c % 256. An extra 64 KB section
# after the Learner's makes the writing part of save() long, so more kills land mid-write.
from array import array

from microlearn import state

P = "pc.bin"
IDENT = (0xC0FFEE11, 4096)
CMAX, D, K = 16, 64, 20
W8 = array("i", [(i * 40503) % 131071 - 65535 for i in range(CMAX * D + 256)])
XTRA = 65536
B8 = bytearray(XTRA + 256)
for _i in range(len(B8)):
    B8[_i] = _i * 7 & 255
I8 = array("i", [i * 1000003 - 7 for i in range(CMAX + 256)])


def names(c):
    return ["c%d-%d" % (c, i) for i in range(c % 5 + 1)]


def meta(c):
    rand = (0x9E3779B9 + c) & 0xFFFFFFFF
    return (D, CMAX, K, c % 5 + 1, c, 4 * c, rand, c % 7, 3, 300, 12, 5, 9)


def fill(c, secs):
    o = c % 256
    secs[0][:] = names(c)
    secs[1][:] = memoryview(W8)[o:o + CMAX * D]
    for s in secs[2:5] + secs[6:7]:
        s[:] = memoryview(I8)[o:o + CMAX]
    secs[5][:] = memoryview(B8)[o:o + CMAX]
    secs[7][:] = memoryview(B8)[o:o + CMAX * K * D]
    secs[8][:] = memoryview(B8)[o:o + XTRA]


def holds(c, m, secs):
    """Exactly state c? (built fresh and compared, section by section)"""
    want = fresh()
    fill(c, want)
    if tuple(v & 0xFFFFFFFF for v in m) != tuple(v & 0xFFFFFFFF for v in meta(c)):
        return "meta differs"
    for i in range(len(secs)):
        if secs[i] != want[i]:
            return "section %d differs" % i
    return "ok"


def fresh():
    return [[], array("i", bytes(4 * CMAX * D)), array("i", bytes(4 * CMAX)),
            array("i", bytes(4 * CMAX)), array("i", bytes(4 * CMAX)), bytearray(CMAX),
            array("i", bytes(4 * CMAX)), bytearray(CMAX * K * D), bytearray(XTRA)]


secs = fresh()
got = state.load(P, IDENT, 13, secs)
if got is None:
    print("loaded none")
    c = 0
else:
    c = got[4]
    print("loaded %d %s" % (c, holds(c, got, secs)))
print("ready")
while True:
    c += 1
    fill(c, secs)
    print("saving %d" % c)
    state.save(P, IDENT, meta(c), secs)
    print("saved %d" % c)
