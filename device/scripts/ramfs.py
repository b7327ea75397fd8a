# MicroPython code (not CPython): a RAM filesystem mounted at /ram on boards
# that have no filesystem of their own (the QEMU firmwares). The runner sends
# it over the raw REPL (after a line setting _REGION), then stages .mpy modules
# and data files into it. Staged files go into _REGION, RAM outside the GC heap,
# so they cost no heap, as files in a real board's flash do; so do files the script
# writes (one at a time; space of removed files is not reused).
import io, os, sys
from array import array
from binascii import a2b_base64
from uctypes import addressof, bytearray_at


def _nbytes(buf):
    return len(buf) * len(bytes(memoryview(buf)[:1])) if len(buf) else 0


class _RamFile(io.IOBase):
    def __init__(self, fs, key, data, writing):
        self._fs, self._key, self._d, self._p, self._w = fs, key, data, 0, writing

    def readinto(self, buf):
        # in bytes, for any buffer (an array('i') has 4 per element), as C file objects do.
        # Byte buffers (module imports read .mpy files through here, in many small calls) take
        # the path that allocates least: allocations between a module's code blocks would
        # fragment the heap the way no board's C filesystem does.
        if isinstance(buf, array):
            n = min(_nbytes(buf), len(self._d) - self._p)
            bytearray_at(addressof(buf), n)[:] = memoryview(self._d)[self._p:self._p + n]
        else:
            n = min(len(buf), len(self._d) - self._p)
            buf[:n] = memoryview(self._d)[self._p:self._p + n]
        self._p += n
        return n

    def read(self, n=-1):
        left = len(self._d) - self._p
        b = bytearray(left if n < 0 or n > left else n)
        self.readinto(b)
        return bytes(b)

    def write(self, buf):
        n = len(self._d)
        self._d.extend(buf)
        return len(self._d) - n  # bytes written, also for an array

    def seek(self, off, whence=0):
        self._p = off if whence == 0 else (self._p + off if whence == 1 else len(self._d) + off)
        return self._p

    def tell(self):
        return self._p

    def flush(self):
        pass

    def ioctl(self, req, arg):
        return 0

    def close(self):
        if self._w:
            self._fs.files[self._key] = self._d
            self._w = False

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class _RegionFile(_RamFile):
    # A file being written straight into the region (RAM outside the heap), as a board writes
    # flash: no heap block grows with it. Its bytes start at the region's free end; close()
    # keeps them there. A full region is a full filesystem (ENOSPC).
    def __init__(self, fs, key):
        _RamFile.__init__(self, fs, key, bytearray_at(fs.base, 0), True)
        self._start, self._n = fs.base, 0
        fs.writing = True

    def write(self, buf):
        if isinstance(buf, (bytes, bytearray)):
            n, src = len(buf), buf
        else:  # an array or a memoryview of one: its bytes
            n = _nbytes(buf)
            src = bytearray_at(addressof(buf), n)
        if self._start + self._n + n > self._fs.end:
            raise OSError(28)
        bytearray_at(self._start + self._n, n)[:] = src
        self._n += n
        return n

    def close(self):
        if self._w:
            self._fs.files[self._key] = bytearray_at(self._start, self._n)
            self._fs.base = (self._start + self._n + 3) & ~3
            self._fs.writing = False
            self._w = False


class RamFS:
    def __init__(self, base=0, size=0):
        self.base, self.end = base, base + size
        self.files = {}
        self.once = set()  # modules: freed once imported, as on a board that loads .mpy into RAM
        self.writing = False  # a _RegionFile is open: another writer goes to the heap

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def chdir(self, path):
        pass

    def getcwd(self):
        return ""

    def stat(self, path):
        k = path.strip("/")
        if k in self.files:
            return (0x8000, 0, 0, 0, 0, 0, len(self.files[k]), 0, 0, 0)
        if k == "" or any(f.startswith(k + "/") for f in self.files):
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(2)

    def ilistdir(self, path):
        k = path.strip("/")
        pre = k + "/" if k else ""
        seen = set()
        for f in self.files:
            if f.startswith(pre):
                name = f[len(pre):].split("/")[0]
                if name not in seen:
                    seen.add(name)
                    yield (name, 0x8000 if pre + name in self.files else 0x4000, 0)

    def open(self, path, mode):
        k = path.strip("/")
        if "w" in mode:
            if self.base < self.end and not self.writing:
                return _RegionFile(self, k)
            return _RamFile(self, k, bytearray(), True)
        if k not in self.files:
            raise OSError(2)
        d = self.files[k]
        if k in self.once:
            del self.files[k]
            self.once.discard(k)
        return _RamFile(self, k, d, False)

    def remove(self, path):
        k = path.strip("/")
        if k not in self.files:
            raise OSError(2)
        del self.files[k]

    def rename(self, a, b):
        a, b = a.strip("/"), b.strip("/")
        if a not in self.files:
            raise OSError(2)
        self.files[b] = self.files.pop(a)

    def mkdir(self, path):
        pass

    def statvfs(self, path):
        return (512, 512, 256, 256, 256, 0, 0, 0, 0, 255)

    # Staging, called by the runner: size first, then base64 chunks at offsets.
    def new(self, key, size, once):
        if self.base + size <= self.end:
            self.files[key] = bytearray_at(self.base, size)
            self.base += (size + 3) & ~3
        else:  # no region (or full): the heap
            self.files[key] = bytearray(size)
        if once:
            self.once.add(key)

    def put(self, key, off, b64):
        d = a2b_base64(b64)
        self.files[key][off:off + len(d)] = d


_fs = RamFS(*_REGION)
os.mount(_fs, "/ram")
os.chdir("/ram")
sys.path.insert(0, "/ram")
