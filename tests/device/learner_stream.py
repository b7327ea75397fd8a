# Plays a labelled stream into a Learner and prints its state at checkpoints, for
# tests/host/test_learner_twin.py to compare with the host twin element by element.
# Files: m.mlm (model), x.bin (int8 inputs), ops.txt (args line, then one op a line:
# "L i label" learn input i, "M i label" remember, "F label" forget, "R old new" rename,
# "C" checkpoint, "X label" expect ValueError for a new class beyond the maximum).
import gc
from binascii import hexlify
import microlearn
import microlearn.learner  # noqa: F401 (microlearn.Learner is lazy: this stages it on QEMU)
from devtest import check, result, done, target

result("target", target())


def hx(buf):
    return hexlify(bytes(buf)).decode()


def dump(tag, l):
    result(tag + " wm", hx(l.wm))
    result(tag + " bm", hx(l.bm))
    result(tag + " w8", hx(l.w8))
    result(tag + " bias", hx(l.bias))
    result(tag + " mult", hx(l.mult))
    result(tag + " shift", hx(l.shift))
    result(tag + " fill", hx(l.fill))
    result(tag + " seen", hx(l.seen))
    result(tag + " buffer", hx(l.buffer))
    result(tag + " mu_sum", hx(l.mu_sum))
    result(tag + " names", "|".join(l.names))
    result(tag + " counters", "%d %d %d %d %d %d" % (((l._rh << 16) | l._rl) & 0xFFFFFFFF,
                                                      l._rr, l.steps, l.updates, l.count,
                                                      l.passed_over))
    gc.collect()


m = microlearn.load("m.mlm")
def lines(path):
    # the RAM filesystem of the QEMU boards has no readline; read in small chunks
    with open(path) as f:
        rest = ""
        while True:
            chunk = f.read(256)
            if not chunk:
                break
            rest += chunk if isinstance(chunk, str) else str(chunk, "utf-8")
            parts = rest.split("\n")
            rest = parts.pop()
            for p in parts:
                yield p
        if rest:
            yield rest


ops = lines("ops.txt")
args = [int(v) for v in next(ops).split()]
l = microlearn.Learner(m, None, args[0], args[1], args[2], args[3], args[4])
n = m.input_size
gc.collect()
result("free heap before the inputs", gc.mem_free())
xf = open("x.bin", "rb")
x = bytearray(n)
ck = 0
for line in ops:
    op = line.split()
    if not op:
        continue
    if op[0] == "L" or op[0] == "M":
        xf.seek(int(op[1]) * n)
        xf.readinto(x)
        (l.learn if op[0] == "L" else l.remember)(x, op[2])
    elif op[0] == "F":
        l.forget(op[1])
    elif op[0] == "R":
        l.rename(op[1], op[2])
    elif op[0] == "X":
        try:
            l.learn(x, op[1])
            check("class beyond max_classes refused", False, "no error")
        except ValueError as e:
            check("class beyond max_classes refused", "max_classes" in str(e), str(e))
    elif op[0] == "C":
        dump("c%d" % ck, l)
        ck += 1
result("checkpoints", ck)
result("repr", repr(l))
check("stream played", True)
done()
