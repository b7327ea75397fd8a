# microlearn.state on a full-size Learner state (16 classes, D=64, K=20): exact round trip, and
# the heap bytes save() and load() allocate. Its own script so the 20 KB buffer finds a fresh
# heap. Files live in a filesystem whose storage is allocated up front (C BytesIO streams), so
# the counts are microlearn.state's own plus an open/stat as on a C filesystem; on the Unix
# ports the same is measured on the real (VfsPosix) filesystem too.
import gc
import io
import os
import sys
from array import array

from devtest import check, done, equal, result
from microlearn import state

CMAX, D, K = 16, 64, 20
IDENT = (0x9E3779B9, 31337)


class _W:
    def __init__(self, fs, name, bio, writing):
        self.fs, self.name, self.b, self.w = fs, name, bio, writing
        self.write, self.read, self.readinto = bio.write, bio.read, bio.readinto
        self.seek = bio.seek

    def close(self):
        if self.w:
            self.fs.size[self.name] = self.b.tell()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class SlabFS:
    """Two preallocated files, swapped by rename; reads stay within sizes that stat reports."""

    def __init__(self, names, cap):
        self.bio = {n: io.BytesIO(cap) for n in names}  # preallocated, empty
        self.size = {n: -1 for n in names}

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def stat(self, path):
        n = self.size[path.strip("/")]
        if n < 0:
            raise OSError(2)
        return (0x8000, 0, 0, 0, 0, 0, n, 0, 0, 0)

    def open(self, path, mode):
        k = path.strip("/")
        b = self.bio[k]
        b.seek(0)
        if "w" in mode:
            self.size[k] = 0  # its size is set on close
        elif self.size[k] < 0:
            raise OSError(2)
        return _W(self, k, b, "w" in mode)

    def remove(self, path):
        self.size[path.strip("/")] = -1

    def rename(self, a, b):
        a, b = a.strip("/"), b.strip("/")
        self.bio[a], self.bio[b] = self.bio[b], self.bio[a]
        self.size[b], self.size[a] = self.size[a], -1


META = (D, CMAX, K, CMAX, 3, 12, 0x9E3779B9, 5, 3, 300, 12, 5, 9)
SIZES = (0, 4 * CMAX * D, 4 * CMAX, 4 * CMAX, 4 * CMAX, CMAX, 4 * CMAX, CMAX * K * D)


def value(k, i):
    """Element i of section k (1..7) of the reference state."""
    if k == 1:
        return (i * 40503) % 65536 - 32768
    if k <= 4:
        return i - 5 + k
    return i * 7 & 255 if k == 7 else i


def make():
    secs = [["class %d" % i for i in range(CMAX)], array("i", bytes(SIZES[1]))]
    secs += [array("i", bytes(n)) for n in SIZES[2:5]]
    secs += [bytearray(CMAX), array("i", bytes(SIZES[6])), bytearray(SIZES[7])]
    for k in range(1, 8):
        s = secs[k]
        for i in range(len(s)):
            s[i] = value(k, i)
    return META, secs


def verify(tag, secs):
    equal("%s: names round trip" % tag, secs[0], ["class %d" % i for i in range(CMAX)])
    for k in range(1, 8):
        s, bad = secs[k], None
        for i in range(len(s)):
            if s[i] != value(k, i):
                bad = "first difference at element %d: got %d, want %d" % (i, s[i], value(k, i))
                break
        check("%s: section %d round trip" % (tag, k), bad is None, bad)


def scramble(secs):
    secs[0][:] = ["x"]
    for s in secs[1:]:
        for i in range(len(s)):
            s[i] = 99


def measure(path, meta, secs, tag):
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    state.save(path, IDENT, meta, secs)
    a1 = gc.mem_alloc()
    gc.enable()
    scramble(secs)
    gc.collect()
    gc.disable()
    a2 = gc.mem_alloc()
    got = state.load(path, IDENT, len(meta), secs)
    a3 = gc.mem_alloc()
    gc.enable()
    verify(tag, secs)
    equal("%s: meta round trip" % tag, got, tuple(v if v < 1 << 31 else v - (1 << 32)
                                                 for v in META))
    result("%s: save bytes allocated" % tag, a1 - a0)
    result("%s: load bytes allocated" % tag, a3 - a2)
    return os.stat(path)[6]


meta, secs = make()
# header + meta, 8 section records, names, wm, bm/mult/shift/seen, fill, buffer, CRC
size = 24 + 4 * len(meta) + 8 * len(secs) + sum(1 + len(x) for x in secs[0]) + 4 * CMAX * D \
    + 4 * 4 * CMAX + CMAX + CMAX * K * D + 4
fs = SlabFS(("st.bin", "st.bin.tmp"), size + 64)
os.mount(fs, "/slab")
n = measure("/slab/st.bin", meta, secs, "preallocated FS")
equal("state file bytes", n, size)
result("state file bytes (16 classes, D=64, K=20)", n)
os.umount("/slab")
del fs
if sys.platform == "linux":  # the Unix ports: the real filesystem, C file objects
    measure("st_alloc.bin", meta, secs, "unix filesystem")
    import time
    t0 = time.ticks_us()
    for _ in range(20):
        state.save("st_alloc.bin", IDENT, meta, secs)
    result("save us (unix filesystem)", time.ticks_diff(time.ticks_us(), t0) // 20)
    t0 = time.ticks_us()
    for _ in range(20):
        state.load("st_alloc.bin", IDENT, len(meta), secs)
    result("load us (unix filesystem)", time.ticks_diff(time.ticks_us(), t0) // 20)
    os.remove("st_alloc.bin")
check("done", True)
done()
