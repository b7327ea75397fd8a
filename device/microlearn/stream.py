# Weights that stay in the model file (load(..., stream=True)): the heap keeps the file's
# header and tables, the small blobs and one reusable weight buffer (wbuf); each big layer's
# blob (int8 weights, then int32 bias, multiplier, shift) is read into wbuf when the layer
# runs, a slice of output channels at a time where it does not fit (FC and conv; a
# depthwise blob must fit whole). Every read is checked: a short read, a read error or (with
# verify) a checksum other than the one taken at load raises OSError, never wrong scores.
# A run allocates nothing (the checksum's state is an array).
# Needs the viper kernels: they read int32 tables from raw buffers.
import micropython
from array import array
from binascii import crc32
from micropython import const

from . import modelfile as mf

SMALL = const(512)  # blobs up to this size are read into the heap at load
FLAG = const(32)  # op | FLAG: a streamed layer (engine._run calls its run())
_REC = const(28 + 4 * 21)  # a layer record's largest size (record, p and pad p)


@micropython.viper
def _place(src: ptr8, dst: ptr8, p: ptr32):
    # p = [rows, run, stride, offset]: src's rows of run bytes to dst + offset + r * stride
    run, stride = p[1], p[2]
    d = p[3]
    s = 0
    for r in range(p[0]):
        for i in range(run):
            dst[d + i] = src[s + i]
        s += run
        d += stride


@micropython.viper
def _sum(buf, n: int, st: ptr32):
    # st[0], st[1] += a Fletcher-style sum of buf[0:n] in 32-bit words (then its last 1-3
    # bytes): the state stays in st, so a run allocates nothing (binascii.crc32 returns an int
    # that a 32-bit board boxes, at every read)
    a = st[0]
    b = st[1]
    p = ptr8(buf)
    i = 0
    if (int(p) & 3) == 0:  # word loads need alignment (wbuf's views all are)
        w = ptr32(buf)
        for k in range(n >> 2):
            a += w[k]
            b += a
        i = n & ~3
    while i < n:
        a += p[i]
        b += a
        i += 1
    st[0] = a
    st[1] = b


@micropython.viper
def _same(x: ptr32, y: ptr32) -> int:
    return int(x[0] == y[0] and x[1] == y[1])


def _need(ok, msg):
    if not ok:
        raise ValueError(msg)


def _a4(n):
    return (n + 3) & ~3


def _plan(f, nl, pos, size, wsize):
    """(bytes of the blobs kept in the heap, bytes of the chunked conv outputs) from the layer
    records, read one by one (a whole-table buffer here would sit below the block and split
    it). A weight buffer too small for a layer is refused here, before any big allocation."""
    rec = bytearray(28 + 4 * 29)  # a record, its pad p and its p (at most 8 + 21 ints)
    ops, sizes, shapes = [0] * nl, [0] * nl, [None] * nl
    for i in range(nl):
        f.seek(pos)
        got = f.readinto(rec)
        _need(pos + 28 <= size and got >= 28, "layer %d: record runs past the tables" % i)
        op, npl, npp = rec[0], rec[2], rec[3]
        end = 28 + 4 * (npl + npp)
        _need(npl + npp <= 29 and pos + end <= size and got >= end,
              "layer %d: p runs past the tables" % i)
        ops[i] = op
        sizes[i] = int.from_bytes(rec[20:24], "little")
        if op in (mf.FC, mf.CONV, mf.DW) and npl >= (2 if op == mf.FC else 8):
            q = 28 + 4 * npp
            shapes[i] = _shape(op, [int.from_bytes(rec[q + 4 * k:q + 4 * k + 4], "little")
                                    for k in range(min(8, npl))])
        pos += end
    head = _head(ops)
    kept = tmp = 0
    for i in range(nl):
        if _keeps(ops[i], sizes[i], i == head):
            kept += _a4(sizes[i])
        elif shapes[i] is not None:
            n, per, rows = shapes[i]
            nb = _nb(wsize, i, ops[i], n, per)
            if ops[i] == mf.CONV and nb < n:
                tmp = max(tmp, rows * nb)
    return kept, tmp


def _shape(op, p):
    """(output channels, weight bytes of one, output pixels) of an FC, conv or depthwise p."""
    if op == mf.FC:
        return p[1], p[0], 1
    if op == mf.CONV:
        return p[5], p[6] * p[7] * p[2], p[3] * p[4]
    # (kh, kw, c * m): not a channel's bytes in a row, but n * per of them in all
    return p[2] * p[5], p[6] * p[7], 0


def _nb(B, i, op, n, per):
    """Output channels one chunk holds (n: the whole blob fits the B-byte weight buffer)."""
    if _a4(n * per) + 12 * n <= B:
        return n
    _need(op != mf.DW, "layer %d (DEPTHWISE_CONV_2D): its %d-byte blob must fit the weight "
                       "buffer (wbuf=%d)" % (i, _a4(n * per) + 12 * n, B))
    nb = B // (per + 12)
    while nb and _a4(nb * per) + 12 * nb > B:
        nb -= 1
    _need(nb > 0, "wbuf=%d is too small: layer %d (%s) needs %d bytes for one output channel"
          % (B, i, mf.NAMES[op], _a4(per) + 12))
    return nb


def _head(ops):
    n = len(ops)
    return n - 2 if n >= 2 and ops[n - 1] == mf.SOFTMAX and ops[n - 2] == mf.FC else -1


def _keeps(op, b_size, head):
    return b_size and (op not in (mf.FC, mf.CONV, mf.DW) or b_size <= SMALL or head)


def open_file(path, wsize, before=None):
    """(file, size, prefix, arena, wbuf, kept, tmp): the file opened for the model's lifetime;
    its header and tables (prefix), the arena, the weight buffer, the blobs kept in the heap
    and the chunked conv outputs as views of one block (one big allocation: the heap may hold
    no two, and later the layers' many small objects leave no 2 KB block). before(bytes), if
    given, runs once the block's size is known and before it is allocated."""
    import os
    try:
        size = os.stat(path)[6]
        f = open(path, "rb")
    except OSError:
        raise ValueError("cannot open model file %r" % path)
    try:
        head = bytearray(32)
        _need(size >= 36 and f.readinto(head) == 32, "model file %r: truncated header" % path)
        _need(head[:4] == b"MLRN", "model file %r: bad magic (not a microlearn model)" % path)
        nl = head[16] | head[17] << 8
        _need(0 < nl <= mf.MAX_LAYERS, "model file %r: layer count %d out of range" % (path, nl))
        arena = _a4(int.from_bytes(head[12:16], "little"))
        lay_off = int.from_bytes(head[28:32], "little")
        n = min(size - 4, lay_off + nl * _REC)
        wsize = _a4(wsize)
        kept, tmp = _plan(f, nl, lay_off, size - 4, wsize)
        tmp = _a4(tmp)
        total = arena + wsize + kept + tmp + _a4(n)
        if before is not None:
            before(total)
        mf.check_free(total, "streamed model %r: arena, weight buffer (wbuf=%d), kept blobs, "
                      "chunked conv outputs and tables" % (path, wsize))
        block = memoryview(bytearray(total))
        a = arena + wsize + kept + tmp
        prefix = block[a:a + n]
        f.seek(0)
        _need(f.readinto(prefix) == n, "model file %r: read error in its tables" % path)
        return (f, size, prefix, block[:arena], block[arena:arena + wsize],
                block[arena + wsize:arena + wsize + kept], block[arena + wsize + kept:a])
    except BaseException:
        f.close()
        raise


class Source:
    """The open model file and the buffers every streamed layer shares."""

    def __init__(self, f, path, size, wbuf, verify, tmp):
        self.f, self.path, self.verify = f, path, verify
        self.wbuf = wbuf
        self.wm = memoryview(wbuf)
        wsize = len(wbuf)
        self.layers = []
        self.tmp = tmp  # a chunked conv's outputs, before they go to their channels
        self.st = array("i", (0, 0))  # the running checksum of a layer's reads (_sum)
        crc, pos = 0, 0
        f.seek(0)
        while pos < size - 4:  # the whole file's CRC, as load() checks it in the heap
            k = min(wsize, size - 4 - pos)
            _need(f.readinto(self.wm[:k]) == k, "model file %r: short read at %d" % (path, pos))
            crc = crc32(self.wm[:k], crc)
            pos += k
        _need(f.readinto(self.wm[:4]) == 4, "model file %r: no CRC" % path)
        b = self.wbuf
        _need(crc & 0xFFFFFFFF == b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24,
              "model file %r: CRC mismatch: file is corrupt" % path)

    def keep(self, layers, block):
        """Read the blobs that stay in the heap into block (kept[i]: a view, or None for a
        streamed layer or one without a blob): the small ones, the softmax's table and the
        classifier head (the last FC before the softmax: a Learner trains it)."""
        n = len(layers)
        ops = [L[0] for L in layers]
        head = _head(ops)
        self.kept = [None] * n
        pos = 0
        for i in range(n):
            op, b_off, b_size = layers[i][0], layers[i][5], layers[i][6]
            if _keeps(op, b_size, i == head):
                _need(pos + b_size <= len(block), "layer %d: kept blobs disagree with the tables" % i)
                v = block[pos:pos + b_size]
                self.f.seek(b_off)
                _need(self.f.readinto(v) == b_size, "model file %r: short read at %d" % (self.path, b_off))
                self.kept[i] = v
                pos += _a4(b_size)

    def ready(self):
        """After every layer is planned: the shared output buffer, then each layer's views."""
        for L in self.layers:  # open_file planned the same
            _need(L.tmp_need <= len(self.tmp), "layer %d: chunk outputs disagree with the plan" % L.i)
        for L in self.layers:
            L.bind()

    def close(self):
        self.f.close()


class Streamed:
    """One FC / conv / depthwise layer whose blob is read when it runs."""

    def __init__(self, src, i, op, b_off, nw, n, per, rows, call):
        # per: weight bytes of one output channel; rows: output pixels; call: (kernel, x,
        # out, p, pad or None) as the in-heap step holds them
        self.src, self.i, self.op, self.b_off, self.nw, self.n, self.per = src, i, op, b_off, nw, n, per
        self.call, self.rows = call, rows
        _need(nw == n * per, "layer %d: blob shape disagrees with the plan" % i)
        nb = _nb(len(src.wbuf), i, op, n, per)
        self.nb = nb
        self.chunks = (n + nb - 1) // nb
        self.last = n - (self.chunks - 1) * nb
        self.tmp_need = rows * nb if self.chunks > 1 and op == mf.CONV else 0
        src.layers.append(self)

    def _views(self, k):
        w = self.src.wm
        o = (k * self.per + 3) & ~3
        return (w[:k * self.per], w[o:o + 4 * k], w[o + 4 * k:o + 8 * k], w[o + 8 * k:o + 12 * k])

    def bind(self):
        fn, x, out, pa, pad = self.call
        v = self._views(self.last)  # a layer in one chunk has the one set (heap: many layers)
        self.v = (self._views(self.nb) if self.chunks > 1 else v, v)
        self.whole = self.src.wm[:((self.nw + 3) & ~3) + 12 * self.n]
        self.pa = (pa, pa)
        if self.chunks > 1:
            full, last = array("i", pa), array("i", pa)
            k = 1 if self.op == mf.FC else 5  # p's count of output channels
            full[k], last[k] = self.nb, self.last
            self.pa = (full, last)
            if self.op == mf.FC:  # a chunk's outputs are a slice of out
                self.outs = [out[c * self.nb:c * self.nb + (self.nb if c < self.chunks - 1 else self.last)]
                             for c in range(self.chunks)]
            else:  # to tmp, then to every pixel's slice of out
                t = memoryview(self.src.tmp)
                self.tv = (t[:self.rows * self.nb], t[:self.rows * self.last])
                self.pl = (array("i", [self.rows, self.nb, self.n, 0]),
                           array("i", [self.rows, self.last, self.n, 0]))
        self.sum = array("i", (0, 0))  # the checksum of what load() read
        if self.src.verify:
            self._load(None)
            self.sum[:] = self.src.st

    def _read(self, view, off):
        f = self.src.f
        try:
            f.seek(off)
            got = f.readinto(view)
        except OSError as e:
            raise OSError("model file %r: reading layer %d: %s" % (self.src.path, self.i, e))
        if got != len(view):
            raise OSError("model file %r: layer %d: read %d of %d bytes (changed since load?)"
                          % (self.src.path, self.i, got or 0, len(view)))
        if self.src.verify:
            _sum(view, len(view), self.src.st)

    def _chunk(self, c):
        """Chunk c into wbuf: its weights, then its slices of bias, mult and shift."""
        if self.chunks == 1:
            self._read(self.whole, self.b_off)
            return
        v = self.v[1] if c == self.chunks - 1 else self.v[0]
        o0 = c * self.nb
        t = self.b_off + ((self.nw + 3) & ~3) + 4 * o0  # this chunk's bias
        self._read(v[0], self.b_off + o0 * self.per)
        self._read(v[1], t)
        self._read(v[2], t + 4 * self.n)
        self._read(v[3], t + 8 * self.n)

    def _load(self, run):
        """Read every chunk (and run the kernel on it, if run); the checksum of what was read
        goes to the source's st."""
        st = self.src.st
        st[0] = st[1] = 0
        fn, x, out, pa, pad = self.call
        if run and pad:
            pad[0](pad[1], x, pad[2])
        for c in range(self.chunks):
            self._chunk(c)
            if not run:
                continue
            j = 1 if c == self.chunks - 1 else 0
            v = self.v[j]
            if self.chunks == 1:
                fn(x, v[0], v[1], v[2], v[3], out, pa)
            elif self.op == mf.FC:
                fn(x, v[0], v[1], v[2], v[3], self.outs[c], self.pa[j])
            else:
                fn(x, v[0], v[1], v[2], v[3], self.tv[j], self.pa[j])
                pl = self.pl[j]
                pl[3] = c * self.nb
                _place(self.tv[j], out, pl)

    def run(self):
        self._load(True)
        if self.src.verify and not _same(self.src.st, self.sum):
            raise OSError("model file %r changed since load (layer %d's weights differ)"
                          % (self.src.path, self.i))
