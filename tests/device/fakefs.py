# A filesystem in RAM, mounted with os.mount, for fault tests of file writers (MicroPython).
# Every write goes straight to the stored file, as on flash, so what a fault leaves behind is
# what a board would find after a reset. Faults:
#   replace=False  rename refuses to replace an existing file (EEXIST), as FAT does in FatFs
#   capacity=N     at most N bytes in all files; a write past it stores what fits, raises ENOSPC
#   readonly=True  opening for writing, rename and remove raise EROFS
#   cut=k          power cut at the k-th mutating step (open for writing, each write, rename,
#                  remove): that step does nothing (a write stores its first half), raises
#                  PowerCut, and every later call raises PowerCut without touching the files.
import os
import uctypes

ENOENT, EEXIST, ENOSPC, EROFS = 2, 17, 28, 30


class PowerCut(Exception):
    pass


class _File:
    def __init__(self, fs, data, writing):
        self._fs, self._d, self._p, self._w = fs, data, 0, writing

    def readinto(self, buf):
        self._fs._alive()
        n = min(_nbytes(buf), len(self._d) - self._p)
        # a byte view of any buffer (array('i') too), as the C file objects write into it
        uctypes.bytearray_at(uctypes.addressof(buf), n)[:] = self._d[self._p:self._p + n]
        self._p += n
        return n

    def read(self, n=-1):
        left = len(self._d) - self._p
        b = bytearray(left if n < 0 or n > left else n)
        self.readinto(b)
        return bytes(b)

    def write(self, buf):
        fs = self._fs
        fs._alive()
        data = bytes(buf)
        if fs._step():
            self._d.extend(data[:len(data) // 2])
            fs._die()
        room = len(data) if fs.capacity is None else max(0, fs.capacity - fs.used())
        self._d.extend(data[:room])
        if room < len(data):
            raise OSError(ENOSPC)
        return len(data)

    def seek(self, off, whence=0):
        self._p = off if whence == 0 else (self._p + off if whence == 1 else len(self._d) + off)
        return self._p

    def tell(self):
        return self._p

    def flush(self):
        self._fs._alive()

    def close(self):
        self._fs._alive()

    def ioctl(self, req, arg):
        return 0

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def _nbytes(buf):
    return len(buf) * len(bytes(memoryview(buf)[:1])) if len(buf) else 0


class FakeFS:
    def __init__(self, replace=True, capacity=None, readonly=False, cut=None):
        self.files = {}
        self.replace, self.capacity, self.readonly, self.cut = replace, capacity, readonly, cut
        self.steps, self.dead = 0, False

    def used(self):
        return sum(len(d) for d in self.files.values())

    def _alive(self):
        if self.dead:
            raise PowerCut()

    def _die(self):
        self.dead = True
        raise PowerCut()

    def _step(self):
        self.steps += 1
        return self.cut is not None and self.steps == self.cut

    def _rw(self):
        self._alive()
        if self.readonly:
            raise OSError(EROFS)
        if self._step():
            self._die()

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def chdir(self, path):
        pass

    def getcwd(self):
        return ""

    def stat(self, path):
        self._alive()
        k = path.strip("/")
        if k in self.files:
            return (0x8000, 0, 0, 0, 0, 0, len(self.files[k]), 0, 0, 0)
        if k == "":
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(ENOENT)

    def ilistdir(self, path):
        for k in self.files:
            yield (k, 0x8000, 0)

    def open(self, path, mode):
        k = path.strip("/")
        if "w" in mode:
            self._rw()
            self.files[k] = bytearray()
            return _File(self, self.files[k], True)
        self._alive()
        if k not in self.files:
            raise OSError(ENOENT)
        return _File(self, self.files[k], False)

    def remove(self, path):
        self._rw()
        k = path.strip("/")
        if k not in self.files:
            raise OSError(ENOENT)
        del self.files[k]

    def rename(self, a, b):
        self._rw()
        a, b = a.strip("/"), b.strip("/")
        if a not in self.files:
            raise OSError(ENOENT)
        if b in self.files and not self.replace:
            raise OSError(EEXIST)
        self.files[b] = self.files.pop(a)

    def statvfs(self, path):
        return (512, 512, 256, 256, 256, 0, 0, 0, 0, 255)


def mount(fs, where="/fake"):
    os.mount(fs, where)
    return fs


def umount(where="/fake"):
    os.umount(where)
