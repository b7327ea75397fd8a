# microlearn.state: round trip, every corruption, foreign and leftover files, FAT-like rename,
# power cuts at every step, full and read-only filesystems, argument errors.
# (Allocations and size of a full-size state: check_state_alloc.py.)
import os
from array import array

import fakefs
from devtest import check, done, equal, raises, result
from microlearn import state

IDENT = (0x9E3779B9, 4242)
warnings = []
state._warn = warnings.append  # capture what load() prints


def make(c, d=8, cmax=4, k=3):
    """Recognisable state number c: (meta, sections), the Learner's layout plus other types."""
    rand = (0x9E3779B9 + 977 * c) & 0xFFFFFFFF  # above 2**31: a uint32 must round-trip
    meta = (d, cmax, k, 3, c, 4 * c, rand, c % 3, 3, 300, 12, 5, 9)
    names = ["n%d" % c, "bíceps €", ""][:3]
    wm = array("i", [((c * 7919 + i * 104729) % 65521 - 32760) * (1 if i % 2 else -1)
                     for i in range(cmax * d)])
    wm[0], wm[-1] = -0x80000000, 0x7FFFFFFF
    bm = array("i", [c * 1000 - i for i in range(cmax)])
    mult = array("i", [0x40000000 + c + i for i in range(cmax)])
    shift = array("i", [-(c + i) % 31 for i in range(cmax)])
    fill = bytearray([(c + i) % 256 for i in range(cmax)])
    seen = array("i", [c + 5 * i for i in range(cmax)])
    buf = bytearray([(c * 31 + i) % 256 for i in range(cmax * k * d)])
    h = array("h", [-c, c, -32768, 32767])
    b = array("b", [-128, 127, c % 100])
    secs = [names, wm, bm, mult, shift, fill, seen, buf, h, b, bytes([c % 256, 1, 2]),
            memoryview(bytearray([c % 256] * 5)), ()]
    return meta, secs


def empty(secs, fillv=0x5A):
    """Destinations shaped like secs, filled with a sentinel."""
    out = []
    for s in secs:
        if isinstance(s, (list, tuple)):
            out.append(["sentinel"])
        else:
            if isinstance(s, (bytes, bytearray, memoryview)):
                a = bytearray(len(s))
            else:
                a = array(repr(s[:0])[7], bytes(nbytes(s)))  # "array('i')" -> i
            for i in range(len(a)):
                a[i] = fillv
            out.append(a)
    return out


def differs(into, secs):
    """None if every destination equals its section, else where the first difference is."""
    for i, (a, b) in enumerate(zip(into, secs)):
        if len(a) != len(b):
            return "section %d: %d elements, want %d" % (i, len(a), len(b))
        for j in range(len(a)):  # element by element: list(a) of a big buffer would not fit
            if a[j] != b[j]:
                return "section %d, element %d: got %r, want %r" % (i, j, a[j], b[j])
    return None


def same(name, into, secs):
    d = differs(into, secs)
    if name is None:
        return d is None
    return check(name, d is None, d)


def nbytes(s):
    if isinstance(s, (list, tuple)):
        return sum(1 + len(n.encode()) for n in s)
    if isinstance(s, (bytes, bytearray, memoryview)):
        return len(s)
    return len(s) * {"i": 4, "h": 2, "b": 1, "B": 1}[repr(s[:0])[7]]


def signed(v):
    return v - (1 << 32) if v >= 1 << 31 else v


def read(p):
    with open(p, "rb") as f:
        return f.read()


def write(p, data):
    with open(p, "wb") as f:
        f.write(data)


def exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False


def clean(*ps):
    for p in ps:
        for q in (p, p + ".tmp", p + ".bad"):
            if exists(q):
                os.remove(q)


P = "st.bin"
clean(P)


meta, secs = make(7)
want_meta = tuple(signed(v) for v in meta)

# --- round trip, every section type ---
state.save(P, IDENT, meta, secs)
into = empty(secs)
got = state.load(P, IDENT, len(meta), into)
equal("round trip: meta (uint32 rand comes back as its int32 bits)", got, want_meta)
equal("round trip: rand & 0xFFFFFFFF restores the uint32", got[6] & 0xFFFFFFFF, meta[6])
same("round trip", into, secs)
good = read(P)
equal("file size = header + records + payloads + CRC", len(good),
      24 + 4 * len(meta) + sum(8 + nbytes(x) for x in secs) + 4)
check("no .tmp left after save", not exists(P + ".tmp"))
equal("no warning on a good file", warnings, [])
check("missing file -> None", state.load("nothere.bin", IDENT, len(meta), empty(secs)) is None)
equal("missing file: no warning", warnings, [])

# --- a corrupt byte anywhere: set aside, None, destinations untouched ---
bad_at = []
for off in range(len(good)):
    damaged = bytearray(good)
    damaged[off] ^= 0x41
    write(P, damaged)
    del warnings[:]
    into = empty(secs)
    r = state.load(P, IDENT, len(meta), into)
    ok = (r is None and not exists(P) and read(P + ".bad") == damaged and len(warnings) == 1
          and "set aside" in warnings[0] and same(None, into, empty(secs)))
    if not ok:
        bad_at.append(off)
equal("every flipped byte (header, names, each buffer, CRC) -> set aside, None, untouched",
      bad_at, [])
write(P, bytearray(good[:6]) + b"\x07" + good[7:])  # header-size byte
del warnings[:]
state.load(P, IDENT, len(meta), empty(secs))
check("warning names the file and says corrupt or bad", P in warnings[0], warnings)

# --- truncated or extended ---
for n in (0, 3, 27, 40, len(good) // 2, len(good) - 4, len(good) - 1):
    write(P, good[:n])
    del warnings[:]
    into = empty(secs)
    r = state.load(P, IDENT, len(meta), into)
    check("truncated to %d bytes -> None, set aside, untouched" % n,
          r is None and exists(P + ".bad") and not exists(P) and same(None, into, empty(secs)),
          warnings)
write(P, good + b"\x00")
check("one byte appended -> None", state.load(P, IDENT, len(meta), empty(secs)) is None)

# --- foreign model, other layouts ---
write(P, good)
del warnings[:]
into = empty(secs)
check("foreign ident -> None", state.load(P, (IDENT[0], IDENT[1] + 1), len(meta), into) is None)
check("foreign: the warning says so by name",
      len(warnings) == 1 and "belongs to another model" in warnings[0] and P in warnings[0]
      and "crc 0x9e3779b9" in warnings[0], warnings)
same("foreign: untouched", into, empty(secs))
write(P, good)
check("other meta count -> None", state.load(P, IDENT, len(meta) + 1, empty(secs)) is None)
write(P, good)
into = empty(secs)
into[1] = array("i", [1] * (len(secs[1]) * 2))
check("a section of another size -> None", state.load(P, IDENT, len(meta), into) is None)
check("size mismatch: the warning names the section", "section 1" in warnings[-1], warnings[-1])
equal("size mismatch: first destination untouched", into[0], ["sentinel"])
write(P, good)
into = empty(secs)
into[1] = bytearray(4 * len(secs[1]))
check("same bytes but 1-byte items for an int32 section -> None",
      state.load(P, IDENT, len(meta), into) is None)
write(P + ".bad", b"older")
write(P, b"junk")
state.load(P, IDENT, len(meta), empty(secs))
equal("a newer .bad replaces the older one", read(P + ".bad"), b"junk")

# --- leftover .tmp ---
clean(P)
write(P + ".tmp", good)
into = empty(secs)
check("path missing + complete .tmp -> recovered",
      state.load(P, IDENT, len(meta), into) == want_meta and same(None, into, secs))
check("recovered .tmp became the state file", read(P) == good and not exists(P + ".tmp"))
os.remove(P)
write(P + ".tmp", good[:-9])
del warnings[:]
check("path missing + incomplete .tmp -> None",
      state.load(P, IDENT, len(meta), empty(secs)) is None)
check("incomplete .tmp removed, no state invented, warned",
      not exists(P + ".tmp") and not exists(P) and not exists(P + ".bad") and len(warnings) == 1)
write(P, good)
write(P + ".tmp", good[:100])
check("valid path + leftover .tmp -> the path's state",
      state.load(P, IDENT, len(meta), empty(secs)) == want_meta and not exists(P + ".tmp"))
clean(P)

# --- FAT-like rename that refuses to replace ---
fs = fakefs.mount(fakefs.FakeFS(replace=False))
FP = "/fake/st.bin"
state.save(FP, IDENT, meta, secs)
meta8, secs8 = make(8)
state.save(FP, IDENT, meta8, secs8)
into = empty(secs)
r = state.load(FP, IDENT, len(meta), into)
check("FAT-like rename: second save replaced the first", r is not None and r[4] == 8 and
      same(None, into, secs8))
equal("FAT-like rename: only the state file is left", sorted(fs.files), ["st.bin"])
fakefs.umount()


# --- power cut at every step of a save, on both rename kinds ---
def cut_run(replace):
    base = fakefs.FakeFS(replace=replace)
    fakefs.mount(base)
    state.save(FP, IDENT, meta, secs)
    old = dict((k, bytearray(v)) for k, v in base.files.items())
    fakefs.umount()
    probe = fakefs.FakeFS(replace=replace)
    probe.files = dict((k, bytearray(v)) for k, v in old.items())
    fakefs.mount(probe)
    state.save(FP, IDENT, meta8, secs8)
    fakefs.umount()
    nsteps, seen, wrong = probe.steps, {7: 0, 8: 0}, []
    for k in range(1, nsteps + 2):  # nsteps + 1: the cut comes after a completed save
        fs = fakefs.FakeFS(replace=replace, cut=k)
        fs.files = dict((n, bytearray(v)) for n, v in old.items())
        fakefs.mount(fs)
        try:
            state.save(FP, IDENT, meta8, secs8)
            if k <= nsteps:
                wrong.append((k, "no cut"))
        except fakefs.PowerCut:
            pass
        fs.dead, fs.cut = False, None  # reboot
        into = empty(secs)
        r = state.load(FP, IDENT, len(meta), into)
        c = r[4] if r else None
        if c in seen and same(None, into, secs if c == 7 else secs8) and \
                "st.bin.bad" not in fs.files and (k <= nsteps or c == 8):
            seen[c] += 1
        else:
            wrong.append((k, c))
        fakefs.umount()
    equal("power cut before each of %d steps and after the last (replace=%s): old or new "
          "state, never else" % (nsteps, replace), wrong, [])
    check("cuts reached both outcomes (replace=%s)" % replace, seen[7] and seen[8], seen)
    return nsteps


result("save steps (open, writes, rename)", cut_run(True))
result("save steps with FAT-like rename", cut_run(False))

# --- full and read-only filesystems ---
for room in (0, 30, len(good) // 2, len(good) - 1):
    fs = fakefs.mount(fakefs.FakeFS())
    state.save(FP, IDENT, meta, secs)
    old = bytes(fs.files["st.bin"])
    fs.capacity = fs.used() + room
    try:
        state.save(FP, IDENT, meta8, secs8)
        check("full filesystem (%d bytes free) -> OSError" % room, False, "no error")
    except OSError as e:
        msg = e.args[-1]
        check("full filesystem (%d bytes free) -> OSError ENOSPC that says so" % room,
              e.errno == 28 and "full" in msg and FP in msg, msg)
    check("full: old state intact byte for byte, .tmp removed",
          bytes(fs.files["st.bin"]) == old and "st.bin.tmp" not in fs.files, sorted(fs.files))
    fakefs.umount()
fs = fakefs.mount(fakefs.FakeFS())
state.save(FP, IDENT, meta, secs)
old = bytes(fs.files["st.bin"])
fs.readonly = True
try:
    state.save(FP, IDENT, meta8, secs8)
    check("read-only filesystem -> OSError", False, "no error")
except OSError as e:
    check("read-only filesystem -> OSError EROFS that says so",
          e.errno == 30 and "read-only" in e.args[-1] and FP in e.args[-1], e.args)
check("read-only: old state intact byte for byte", bytes(fs.files["st.bin"]) == old)
fs.readonly = False
fs.files["st.bin"][50] ^= 1
fs.readonly = True
del warnings[:]
check("corrupt file on a read-only filesystem -> None, warned",
      state.load(FP, IDENT, len(meta), empty(secs)) is None and "could not" in warnings[-1],
      warnings)
fakefs.umount()

# --- bad arguments: TypeError/ValueError, no file touched ---
raises("path not str", TypeError, state.save, b"x", IDENT, meta, secs)
raises("ident not a pair", TypeError, state.save, P, 5, meta, secs)
raises("ident out of range", ValueError, state.save, P, (-1, 3), meta, secs)
raises("meta above uint32", ValueError, state.save, P, IDENT, (1 << 32,), secs)
raises("meta not int", ValueError, state.save, P, IDENT, (1.5,), secs)
raises("section of another type", TypeError, state.save, P, IDENT, meta, [{}])
raises("name not str", TypeError, state.save, P, IDENT, meta, [["a", 3]])
raises("name over 255 bytes", ValueError, state.save, P, IDENT, meta, [["x" * 256]])
raises("load into bytes (read-only)", TypeError, state.load, P, IDENT, 1, [b"abc"])
check("bad arguments created no file", not exists(P) and not exists(P + ".tmp"))


clean(P)
done()
