# microlearn.state on MicroPython's own filesystems, littlefs v2 and FAT, on a RAM block device:
# round trip, a full filesystem (ENOSPC from the filesystem itself), a read-only mount (EROFS),
# and a flash block corrupted under the file. Run by tests/host/test_state.py on the Unix ports,
# the targets that have VfsLfs2 and VfsFat built in (the m0 firmware has neither).
import gc
import os
import vfs
from array import array

from devtest import check, done, equal
from microlearn import state

IDENT = (0x01020304, 777)


class RAMBlockDev:
    def __init__(self, block_size, num_blocks):
        self.bs = block_size
        self.data = bytearray(block_size * num_blocks)

    def readblocks(self, n, buf, off=0):
        a = n * self.bs + off
        buf[:] = memoryview(self.data)[a:a + len(buf)]

    def writeblocks(self, n, buf, off=None):
        a = n * self.bs + (off or 0)
        self.data[a:a + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.data) // self.bs
        if op == 5:  # block size
            return self.bs
        if op == 6:  # erase
            return 0


def make(c):
    meta = (8, 4, 3, 2, c, 2 * c, 0xDEADBEEF, 1, 3, 300, 12, 5, 9)
    secs = [["a%d" % c, "b"], array("i", [c * 100003 - i * 7919 for i in range(512)]),
            bytearray([(c + i) & 255 for i in range(3000)])]
    return meta, secs


def empty():
    return [[], array("i", bytes(4 * 512)), bytearray(3000)]


def read(p):
    with open(p, "rb") as f:
        return f.read()


for name, cls, bs, nblocks in (("littlefs", vfs.VfsLfs2, 512, 40), ("FAT", vfs.VfsFat, 512, 64)):
    gc.collect()  # the last filesystem's 20 KB go before the next one's 32 KB are asked for
    bdev = RAMBlockDev(bs, nblocks)
    cls.mkfs(bdev)
    vfs.mount(bdev, "/r")
    P = "/r/st.bin"
    m1, s1 = make(1)
    m2, s2 = make(2)
    state.save(P, IDENT, m1, s1)
    state.save(P, IDENT, m2, s2)  # rename over an existing file
    into = empty()
    got = state.load(P, IDENT, 13, into)
    check("%s: round trip of the second save" % name, got is not None and got[4] == 2)
    for i in range(3):
        equal("%s: section %d" % (name, i), into[i], s2[i])
    equal("%s: only the state file is left" % name, sorted(os.listdir("/r")), ["st.bin"])
    old = read(P)
    # fill the filesystem until a state no longer fits next to the old one
    # (one block per file: littlefs only reports ENOSPC reliably when a file is committed)
    k = 0
    while True:
        try:
            with open("/r/f%d" % k, "wb") as f:
                f.write(bytearray(bs))
            k += 1
        except OSError:
            break
    try:
        state.save(P, IDENT, m1, s1)
        check("%s: full filesystem -> OSError" % name, False, "no error")
    except OSError as e:
        check("%s: full filesystem -> OSError ENOSPC that says so" % name,
              e.errno == 28 and "full" in e.args[-1] and P in e.args[-1], e.args)
    check("%s: full: old state intact byte for byte, no .tmp left" % name,
          read(P) == old and "st.bin.tmp" not in os.listdir("/r"), os.listdir("/r"))
    for n in os.listdir("/r"):
        if n.startswith("f"):
            os.remove("/r/" + n)
    vfs.umount("/r")
    vfs.mount(bdev, "/r", readonly=True)
    try:
        state.save(P, IDENT, m1, s1)
        check("%s: read-only mount -> OSError" % name, False, "no error")
    except OSError as e:
        check("%s: read-only mount -> OSError EROFS that says so" % name,
              e.errno == 30 and "read-only" in e.args[-1] and P in e.args[-1], e.args)
    check("%s: read-only: old state intact byte for byte" % name, read(P) == old)
    into = empty()
    got = state.load(P, IDENT, 13, into)
    check("%s: read-only mount still loads the state" % name, got is not None and got[4] == 2)
    vfs.umount("/r")
    # damage the file's bytes on the device: find them in the raw image and flip one
    at = bdev.data.find(old[200:232])
    check("%s: file data found in the image" % name, at >= 0)
    bdev.data[at + 5] ^= 0xFF
    vfs.mount(bdev, "/r")
    into = empty()
    got = state.load(P, IDENT, 13, into)
    check("%s: corrupted on flash -> None, set aside, buffers untouched" % name,
          got is None and sorted(os.listdir("/r")) == ["st.bin.bad"] and into[2] == bytearray(3000)
          and into[0] == [], os.listdir("/r"))
    vfs.umount("/r")
done()
