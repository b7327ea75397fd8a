# Parser and validator of the .mlm model file (docs/format.md). Viper kernels
# have no bounds checks, so every size, offset and shape that a kernel will
# trust is checked here; each problem is a ValueError that names it.
import gc
import struct
from array import array
from binascii import crc32
from micropython import const

from . import HeapFull

_HDR = "<4sHHIIHHIII"
_HDR_SIZE = const(32)
_TEN = "<HHHBbfII"
_TEN_SIZE = const(20)
_LAY = "<BBBBHHIIIIbbbb"
_LAY_SIZE = const(28)
VERSION = const(1)
MAX_LAYERS = const(1024)

FC = const(1)
CONV = const(2)
DW = const(3)
AVGPOOL = const(4)
MAXPOOL = const(5)
MEAN = const(6)
RESHAPE = const(7)
ADD = const(8)
SOFTMAX = const(9)
NAMES = ("?", "FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D",
         "MAX_POOL_2D", "MEAN", "RESHAPE", "ADD", "SOFTMAX")
_PLEN = (0, 5, 13, 13, 13, 13, 6, 0, 13, 2)


def _need(ok, msg):
    if not ok:
        raise ValueError(msg)


def _a4(n):
    return (n + 3) & ~3


def check_free(nbytes, what):
    """Refuse an allocation the heap cannot hold, before trying it (HeapFull)."""
    gc.collect()
    free = gc.mem_free()
    if nbytes > free:
        raise HeapFull("%s needs %d bytes, only %d free" % (what, nbytes, free))


def header(buf, arena_ready=False, size=None):
    """Check the header and the CRC of a whole model file held in `buf` and (unless
    arena_ready) that its arena can be allocated; returns the header fields (see parse).
    size: the file is streamed (stream.py), buf holds its first bytes and the CRC was
    checked while reading it."""
    n = size or len(buf)
    _need(n >= _HDR_SIZE + 4, "file truncated: %d bytes is shorter than the header" % n)
    h = struct.unpack_from(_HDR, buf, 0)
    magic, ver, hsz, fsize, arena, nl = h[:6]
    _need(magic == b"MLRN", "bad magic %r (not a microlearn model)" % magic)
    _need(ver == VERSION, "unsupported model version %d (this engine reads %d)" % (ver, VERSION))
    _need(hsz == _HDR_SIZE, "bad header size %d" % hsz)
    _need(fsize == n, "file size field %d != actual size %d (truncated?)" % (fsize, n))
    end = n - 4
    if size is None:
        want = struct.unpack_from("<I", buf, end)[0]
        _need(crc32(memoryview(buf)[:end]) & 0xFFFFFFFF == want, "CRC mismatch: file is corrupt")
    _need(1 <= nl <= MAX_LAYERS, "layer count %d out of range" % nl)
    if not arena_ready:
        check_free(arena, "activation arena")
    return h


def parse(buf, h=None, size=None):
    """Validate a whole model file held in `buf` (h: what header(buf) returned, if
    it was called already). Returns (header, tensors, layers):
    header = (arena_size, n_classes, names_off, norm_off),
    tensor = (dims tuple, zp, scale, arena offset, size),
    layer = [op, inputs tuple, pad p array('i') or None, p array('i'), scratch_off, blob_off,
    blob_size]: the arrays are what the kernels take (shared, never written)."""
    magic, ver, hsz, fsize, arena, nl, ncls, norm_off, names_off, lay_off = h or header(buf)
    end = (size or len(buf)) - 4
    _need(norm_off == _HDR_SIZE + _TEN_SIZE * (nl + 1) and norm_off <= end, "bad tensor table / norm offset")
    tensors = [None] * (nl + 1)  # sized once: a growing list is a reallocation each time
    for t in range(nl + 1):
        d0, d1, d2, rank, zp, scale, off, size = struct.unpack_from(_TEN, buf, _HDR_SIZE + _TEN_SIZE * t)
        dims = (d0, d1, d2)
        _need(1 <= rank <= 3 and d0 and d1 and d2 and (rank == 3 or d2 == 1) and (rank >= 2 or d1 == 1),
              "tensor %d: bad rank %d / dims %r" % (t, rank, dims))
        _need(size == d0 * d1 * d2, "tensor %d: size %d != product of dims" % (t, size))
        _need(scale > 0 and scale < 1e30, "tensor %d: scale %r must be > 0" % (t, scale))
        _need(off & 3 == 0 and off + size <= arena, "tensor %d: %d bytes at %d outside arena %d" % (t, size, off, arena))
        tensors[t] = (dims[:rank], zp, scale, off, size)
    c = tensors[0][0][-1]
    _need(names_off == norm_off + 8 * c and names_off <= end, "bad names offset %d" % names_off)
    for k in range(2 * c):  # the float input path divides by std: finite, std non-zero
        v = struct.unpack_from("<f", buf, norm_off + 4 * k)[0]
        _need(v - v == 0 and (k < c or v != 0), "input %s of channel %d is %r"
              % ("mean" if k < c else "std", k % c, v))
    pos = names_off
    for k in range(ncls):
        _need(pos < end and pos + 1 + buf[pos] <= end, "class name %d runs past the end" % k)
        pos += 1 + buf[pos]
    _need(lay_off == _a4(pos), "bad layer table offset %d" % lay_off)
    _need(ncls == 0 or ncls == tensors[nl][4], "%d class names for %d outputs" % (ncls, tensors[nl][4]))
    layers = [None] * nl
    pos = lay_off
    for i in range(nl):
        if i & 15 == 15:  # keep what survives packed low in the heap, not strewn over it
            gc.collect()
        _need(pos + _LAY_SIZE <= end, "layer %d: record runs past the end" % i)
        op, nin, npl, npp, in0, in1, s_off, s_size, b_off, b_size, zp0, zp1, amin, amax = \
            struct.unpack_from(_LAY, buf, pos)
        _need(1 <= op <= 9, "layer %d: unknown op code %d" % (i, op))
        name = "layer %d (%s)" % (i, NAMES[op])
        _need(nin == (2 if op == ADD else 1), "%s: %d inputs" % (name, nin))
        _need(npl == _PLEN[op] and npp in (0, 8), "%s: p has %d+%d entries" % (name, npp, npl))
        _need(in0 <= i and (nin == 1 or in1 <= i), "%s: input tensor %d/%d does not chain" % (name, in0, in1))
        pos += _LAY_SIZE
        _need(pos + 4 * (npl + npp) <= end, "%s: p runs past the end" % name)
        # arrays, the kernels' own argument (the engine passes them on, no copy); extend()
        # copies the file's little-endian int32s straight in (no tuple left behind as garbage
        # between the layers' objects)
        pp = i32_array(buf, pos, npp) if npp else None
        p = i32_array(buf, pos + 4 * npp, npl)
        pos += 4 * (npl + npp)
        _need(zp0 == tensors[in0][1] and (nin == 1 or zp1 == tensors[in1][1]), "%s: input zero point mismatch" % name)
        _need(amin <= amax, "%s: empty activation range" % name)
        if b_size:
            _need(b_off & 3 == 0 and b_off >= lay_off and b_off + b_size <= end,
                  "%s: blob of %d bytes at %d outside the file or misaligned" % (name, b_size, b_off))
        if npp:
            _need(s_off & 3 == 0 and s_off + s_size <= arena, "%s: scratch outside the arena" % name)
        ins = (in0,) if nin == 1 else (in0, in1)
        _check_layer(name, op, [tensors[t] for t in ins], tensors[i + 1], pp, s_size, p, b_size, amin, amax)
        layers[i] = [op, ins, pp, p, s_off, b_off, b_size]
    for i in range(nl):
        _need(layers[i][6] == 0 or layers[i][5] >= pos, "layer %d: blob overlaps the layer table" % i)
    _check_lifetimes(tensors, layers)
    return (arena, ncls, names_off, norm_off), tensors, layers


def i32_array(buf, pos, n):
    """The n little-endian int32s at buf[pos:] as an array('i'), copied straight in."""
    a = array("i")
    a.extend(memoryview(buf)[pos:pos + 4 * n])
    return a


def _check_layer(name, op, ins, out, pp, s_size, p, b_size, amin, amax):
    """Shapes chain, the kernel p agrees with the tensors, the blob has the right size."""
    x = ins[0]
    blob = 0
    if op in (FC, CONV, DW, AVGPOOL, MAXPOOL, ADD):
        _need(p[-2] == amin and p[-1] == amax and -128 <= amin and amax <= 127, "%s: activation range" % name)
    if op == FC:
        _need(p[0] == x[4] and p[1] == out[4] and p[2] == out[1], "%s: p does not match the tensors" % name)
        blob = _a4(p[0] * p[1]) + 12 * p[1]
    elif op in (CONV, DW):
        ph, pw, c, oh, ow, third, kh, kw, sh, sw = p[:10]
        _need(len(x[0]) == 3 and len(out[0]) == 3, "%s: tensors must be (H,W,C)" % name)
        h, w = x[0][0], x[0][1]
        _need(c == x[0][2] and p[10] == out[1], "%s: channels / zero point do not match" % name)
        if pp:
            _need(tuple(pp[:3]) == x[0] and pp[5] == ph and pp[6] == pw and 0 <= pp[3] <= ph - h
                  and 0 <= pp[4] <= pw - w and pp[7] == x[1] and s_size == ph * pw * c,
                  "%s: bad padding parameters" % name)
        else:
            _need(ph == h and pw == w, "%s: padded size without a padding step" % name)
        oc = third if op == CONV else c * third
        _need(out[0] == (oh, ow, oc) and third >= 1, "%s: output shape does not match p" % name)
        _need(kh >= 1 and kw >= 1 and sh >= 1 and sw >= 1 and (oh - 1) * sh + kh <= ph
              and (ow - 1) * sw + kw <= pw, "%s: window does not fit the padded input" % name)
        blob = _a4(oc * kh * kw * (c if op == CONV else 1)) + 12 * oc
    elif op in (AVGPOOL, MAXPOOL):
        h, w, c, oh, ow, fh, fw, sh, sw, pt, pl = p[:11]
        _need(x[0] == (h, w, c) and out[0] == (oh, ow, c), "%s: shapes do not match p" % name)
        # every window must hold at least one input cell (average divides by the count)
        _need(fh >= 1 and fw >= 1 and sh >= 1 and sw >= 1 and 0 <= pt < fh and 0 <= pl < fw
              and (oh - 1) * sh - pt < h and (ow - 1) * sw - pl < w, "%s: bad window" % name)
    elif op == MEAN:
        _need(len(x[0]) == 3 and p[0] == x[0][0] * x[0][1] and p[1] == x[0][2] == out[4]
              and p[2] == x[1] and p[3] == out[1], "%s: p does not match the tensors" % name)
        _need(-31 <= p[5] <= 31, "%s: shift out of range" % name)
    elif op == RESHAPE:
        _need(x[4] == out[4] and x[3] == out[3] and x[1] == out[1], "%s: must alias its input" % name)
    elif op == ADD:
        _need(p[0] == x[4] == ins[1][4] == out[4] and p[10] == out[1] and p[1] == -x[1]
              and p[2] == -ins[1][1] and 0 <= p[3] <= 20, "%s: p does not match the tensors" % name)
    elif op == SOFTMAX:
        _need(p[1] == x[0][-1] and p[0] * p[1] == x[4] == out[4] and 1 <= p[1] <= 511,
              "%s: p does not match the tensors" % name)
        blob = 12 + 1024
    _need(b_size == blob, "%s: blob has %d bytes, expected %d" % (name, b_size, blob))


def _check_lifetimes(tensors, layers):
    """Buffers that are alive at the same layer must not overlap in the arena."""
    nl = len(layers)
    last = [0] * (nl + 1)  # int lists sized once: little heap, no tuples
    for t in range(nl + 1):
        last[t] = t - 1
    last[nl] = nl
    for i in range(nl):
        for t in layers[i][1]:
            if last[t] < i:
                last[t] = i
    # a RESHAPE output aliases its input: same root, same bytes, never a conflict
    root = [0] * (nl + 1)
    for t in range(nl + 1):
        root[t] = t
    for i in range(nl):
        if layers[i][0] == RESHAPE:
            root[i + 1] = root[layers[i][1][0]]
    # buffer b: offset, size, first step, last step, alias key (tensors, then scratch)
    nb = nl + 1
    for i in range(nl):
        if layers[i][2]:
            nb += 1
    off, size, first, lst, key = [0] * nb, [0] * nb, [0] * nb, [0] * nb, [0] * nb
    for t in range(nl + 1):
        off[t], size[t], first[t], lst[t], key[t] = tensors[t][3], tensors[t][4], t - 1, last[t], root[t]
    b = nl + 1
    for i in range(nl):
        pp = layers[i][2]
        if pp:
            off[b], size[b], first[b], lst[b], key[b] = layers[i][4], pp[5] * pp[6] * pp[2], i, i, -1 - i
            b += 1
    for a in range(nb):
        for b in range(a):
            if (lst[a] < first[b] or lst[b] < first[a] or key[a] == key[b]
                    or off[a] + size[a] <= off[b] or off[b] + size[b] <= off[a]):
                continue
            if key[a] < 0 and off[a] == off[b] and key[b] == root[layers[-1 - key[a]][1][0]] \
                    and lst[b] == -1 - key[a]:
                continue  # a padded copy over its own input, which no later layer reads
            raise ValueError("arena plan: buffers at %d and %d overlap while both are alive"
                             % (off[a], off[b]))
