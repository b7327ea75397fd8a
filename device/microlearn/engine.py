# The int8 inference engine: loads a .mlm file, plans nothing at run time.
# Everything a call needs (arena, tensor views, kernel p arrays, output
# buffers) is built once at load, so predict() allocates nothing after the
# first call (given viper kernels; float input math boxes floats on most ports).
import gc
from array import array
from micropython import const

from . import modelfile as mf
from .compat import np as _np
from .softmax import softmax as _softmax

try:  # raw 32-bit table lookups: dequantize without boxing floats
    from .lut_viper import lut32 as _lut32
except (ImportError, SyntaxError, ValueError):
    _lut32 = None

_CLAMP = const(1000)  # |x/scale| beyond this saturates anyway; keeps int() small
# isinstance() tuples built once: a literal tuple in a method is a heap allocation per call
_BYTES = (bytes, bytearray, memoryview)
_FLOATS = (list, tuple, array)
if _np is not None:  # firmware with ulab: its 1-D float arrays are inputs too
    _FLOATS += (type(_np.zeros(1)),)


def _i32(buf, off, n):
    """int32 little-endian values of the file as an array('i') (kernels index them)."""
    return array("i", bytes(buf[off:off + 4 * n]))


def _deq_table(scale, zp):
    """The 256 dequantized values of an int8 tensor, indexed by the raw byte."""
    t = array("f", bytes(1024))
    for b in range(256):
        t[b] = ((b ^ 0x80) - 0x80 - zp) * scale
    return t


class Model:
    def __init__(self, src, kernels=None):
        if isinstance(src, str):
            buf = _read(src)
        else:
            buf = bytearray(src)
        hdr, tensors, layers = mf.parse(buf)
        self._buf = buf
        self.arena_size, ncls, names_off, norm_off = hdr
        if kernels is None:
            from . import kernels
        self._k = kernels
        try:  # mem_free() was checked, but a fragmented heap may lack one block this big
            self.arena = bytearray(self.arena_size)
        except MemoryError:
            raise ValueError("activation arena of %d bytes does not fit in the heap" % self.arena_size)
        am = memoryview(self.arena)
        self._tv = [am[t[3]:t[3] + t[4]] for t in tensors]
        self.tensors = tensors
        self.layers = layers
        self.input_shape = tensors[0][0]
        self.input_size = tensors[0][4]
        self.in_zp, self.in_scale = tensors[0][1], tensors[0][2]
        c = self.input_shape[-1]
        self._mean = _f32(buf, norm_off, c)
        self._std = _f32(buf, norm_off + 4 * c, c)
        self._f = array("f", [0.0])  # rounds intermediates to float32 on double-float ports
        self.class_names = []
        pos = names_off
        for _ in range(ncls):
            self.class_names.append(bytes(buf[pos + 1:pos + 1 + buf[pos]]).decode())
            pos += 1 + buf[pos]
        self._steps = [self._step(i, L, buf, am) for i, L in enumerate(layers)]
        out = tensors[-1]
        self.scores = array("f", bytes(4 * out[4]))
        self._out_lut = _deq_table(out[2], out[1])
        # embedding: the input of the last FULLY_CONNECTED layer
        self._emb_layer = None
        for i in range(len(layers)):
            if layers[i][0] == mf.FC:
                self._emb_layer = i
        if self._emb_layer is not None:
            e = tensors[layers[self._emb_layer][1][0]]
            self._emb = array("f", bytes(4 * e[4]))
            self._emb_lut = _deq_table(e[2], e[1])
            self._emb_t = layers[self._emb_layer][1][0]
        gc.collect()

    def _step(self, i, L, buf, am):
        """(op, kernel, args...) of one layer, all objects prebuilt."""
        op, ins, pp, p, s_off, b_off, _ = L
        k = self._k
        x = self._tv[ins[0]]
        out = self._tv[i + 1]
        pa = array("i", p)
        if op in (mf.FC, mf.CONV, mf.DW):
            if op == mf.FC:
                nw, n = p[0] * p[1], p[1]
            elif op == mf.CONV:
                nw, n = p[5] * p[6] * p[7] * p[2], p[5]
            else:
                nw, n = p[6] * p[7] * p[2] * p[5], p[2] * p[5]
            w = memoryview(buf)[b_off:b_off + nw]
            o = b_off + ((nw + 3) & ~3)
            args = (w, _i32(buf, o, n), _i32(buf, o + 4 * n, n), _i32(buf, o + 8 * n, n), out, pa)
            fn = (k.fc if op == mf.FC else (k.conv if op == mf.CONV else k.dwconv))
            if pp:
                scratch = am[s_off:s_off + pp[5] * pp[6] * pp[2]]
                return (op, fn, scratch) + args + (k.pad, x, array("i", pp))
            return (op, fn, x) + args
        if op == mf.AVGPOOL:
            return (op, k.avgpool, x, out, pa)
        if op == mf.MAXPOOL:
            return (op, k.maxpool, x, out, pa)
        if op == mf.MEAN:
            return (op, k.mean, x, out, pa)
        if op == mf.ADD:
            return (op, k.add, x, self._tv[ins[1]], out, pa)
        if op == mf.SOFTMAX:
            fn = getattr(k, "softmax", None) or _softmax  # kernel sets without one: plain twin
            return (op, fn, x, out, pa, _i32(buf, b_off + 12, 256))
        return (op, None)  # RESHAPE: the output aliases the input

    def _run(self, n):
        steps = self._steps
        for i in range(n):
            s = steps[i]
            op = s[0]
            if op <= mf.DW:
                if len(s) > 9:
                    s[9](s[10], s[2], s[11])  # pad(x, scratch, p): fill with the input zero point
                s[1](s[2], s[3], s[4], s[5], s[6], s[7], s[8])
            elif op == mf.ADD:
                s[1](s[2], s[3], s[4], s[5])
            elif op == mf.SOFTMAX:
                s[1](s[2], s[3], s[4], s[5])
            elif op != mf.RESHAPE:
                s[1](s[2], s[3], s[4])

    def _set_input(self, x):
        t = self._tv[0]
        n = self.input_size
        if isinstance(x, _BYTES):
            if len(x) != n:
                raise ValueError("int8 input has %d bytes, model expects %d" % (len(x), n))
            for i in range(n):
                t[i] = x[i]
            return
        if not isinstance(x, _FLOATS):
            raise ValueError("input must be floats (list/tuple/array) or int8 bytes, got %s" % type(x).__name__)
        if len(x) != n:
            raise ValueError("input has %d values, model expects %d" % (len(x), n))
        f, mean, std, c = self._f, self._mean, self._std, len(self._mean)
        scale, zp = self.in_scale, self.in_zp
        for i in range(n):
            ch = i % c
            f[0] = x[i]  # TypeError for non-numbers is turned into ValueError below
            f[0] = f[0] - mean[ch]
            f[0] = f[0] / std[ch]
            f[0] = f[0] / scale
            v = f[0]
            if not (v == v):
                raise ValueError("input %d is NaN" % i)
            v = _CLAMP if v > _CLAMP else (-_CLAMP if v < -_CLAMP else v)
            r = int(v)  # std::round: half away from zero, exact on float32 and double
            d = v - r
            if d >= 0.5:
                r += 1
            elif d <= -0.5:
                r -= 1
            r += zp
            t[i] = (127 if r > 127 else (-128 if r < -128 else r)) & 0xFF

    def predict_int8(self, x):
        """Run the whole model; returns the int8 output tensor (a memoryview of raw bytes)."""
        self._load(x)
        self._run(len(self._steps))
        return self._tv[-1]

    def predict(self, x):
        """Class scores (dequantized output) in a reused array('f')."""
        out = self.predict_int8(x)
        _deq(out, self._out_lut, self.scores)
        return self.scores

    def embed(self, x):
        """Dequantized input of the last FULLY_CONNECTED layer (the feature vector)."""
        if self._emb_layer is None:
            raise ValueError("model has no FULLY_CONNECTED layer to embed before")
        self._load(x)
        self._run(self._emb_layer)
        _deq(self._tv[self._emb_t], self._emb_lut, self._emb)
        return self._emb

    def _load(self, x):
        try:
            self._set_input(x)
        except TypeError as e:
            raise ValueError("bad input: %s" % e)

    def summary(self):
        tot_p = tot_m = 0
        print("layer op                 output          params       MACs")
        for i, L in enumerate(self.layers):
            op, p = L[0], L[3]
            params = macs = 0
            if op == mf.FC:
                params, macs = p[0] * p[1] + p[1], p[0] * p[1]
            elif op == mf.CONV:
                params = p[5] * (p[6] * p[7] * p[2] + 1)
                macs = p[3] * p[4] * p[5] * p[6] * p[7] * p[2]
            elif op == mf.DW:
                params = p[2] * p[5] * (p[6] * p[7] + 1)
                macs = p[3] * p[4] * p[2] * p[5] * p[6] * p[7]
            elif op in (mf.AVGPOOL, mf.MAXPOOL):
                macs = p[3] * p[4] * p[2] * p[5] * p[6]
            elif op == mf.MEAN:
                macs = p[0] * p[1]
            elif op in (mf.ADD, mf.SOFTMAX):
                macs = self.tensors[i + 1][4]
            tot_p += params
            tot_m += macs
            print("%5d %-18s %-15s %6d %10d" % (i, mf.NAMES[op], str(self.tensors[i + 1][0]), params, macs))
        print("params %d, MACs %d, arena %d bytes, file %d bytes" % (tot_p, tot_m, self.arena_size, len(self._buf)))
        return tot_p, tot_m


def _deq(src, lut, dst):
    if _lut32 is not None:
        _lut32(src, lut, dst, len(dst))
    else:
        for i in range(len(dst)):
            dst[i] = lut[src[i]]


def _f32(buf, off, n):
    return array("f", bytes(buf[off:off + 4 * n]))


def _read(path):
    import os
    try:
        size = os.stat(path)[6]
    except OSError:
        raise ValueError("cannot open model file %r" % path)
    mf.check_free(size, "model file %r" % path)
    try:
        buf = bytearray(size)
    except MemoryError:
        raise ValueError("model file %r: %d bytes do not fit in the heap" % (path, size))
    with open(path, "rb") as f:
        got = f.readinto(buf)
    if got != size:
        raise ValueError("model file %r: read %d of %d bytes" % (path, got or 0, size))
    return buf
