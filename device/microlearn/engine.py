# The int8 inference engine: loads a .mlm file, plans nothing at run time.
# Everything predict() needs (arena, tensor views, kernel p arrays, output
# buffer) is built once at load; weights and int32 tables stay in the file
# buffer (views, no copies, where the kernels read raw buffers). After the
# first call predict() allocates nothing for int8 input and a small constant
# for float input (given viper kernels).
import gc
import struct
from array import array
from micropython import const

gc.collect()  # between the imports: the code packed low in the heap (see kernels.py)
from . import HeapFull, _forget, modelfile as mf  # noqa: E402
gc.collect()
from .inputs import float_array as _float_array, set_input as _set_input  # noqa: E402

gc.collect()
try:  # raw 32-bit table lookups: dequantize without boxing floats
    from .lut_viper import lut32 as _lut32
except (ImportError, SyntaxError, ValueError):
    _lut32 = None

_BYTES = (bytes, bytearray, memoryview)  # isinstance() tuple built once, not per call
_TSCALE = const(40)  # the file offset of tensor 0's float32 scale (the input scale)


class Model:
    """A loaded model. predict()/predict_int8()/embed() return a buffer that the
    next call overwrites; pass out= (your own buffer) to keep a result."""

    def __init__(self, src, kernels=None, _file=None, _stream=None):
        # _file: [file bytearray (kept), its arena or None] that microlearn.load() read;
        # _stream: (wbuf bytes, verify): the weights stay in the file (stream.py)
        if isinstance(src, str):
            self.name = src
        elif isinstance(src, _BYTES):
            self.name = None
        else:
            raise TypeError("load() takes a model file path (str) or the file's bytes, got %s"
                            % type(src).__name__)
        self._src = None
        try:
            self._init(src, kernels, _file, _stream)
        except BaseException as e:
            if self._src is not None:
                self._src.close()
            if not isinstance(e, MemoryError):
                raise
            self._buf = self.arena = self._tv = self._steps = self._src = None  # the figure is real
            if _file:
                _file[0] = _file[1] = None
            gc.collect()
            raise HeapFull("model %s does not fit in the heap: %d bytes free without it"
                             % (repr(self.name) if self.name else "(bytes)", gc.mem_free()))

    def _init(self, src, k, file, stream):
        arena = None
        size = None
        if stream is not None:
            if self.name is None:
                raise TypeError("stream=True reads the weights from the file: give its path")
            # the code first (stream, then the kernels, told the block's size): what their
            # imports leave as holes takes the layers' small objects later, and the model's
            # block finds the rest of the heap whole (the person detector fits the emulated
            # RP2040 in this order)
            from . import stream as st
            ks = [k]

            def code(block):
                if ks[0] is None or isinstance(ks[0], str):
                    ks[0] = _kernels(block) if ks[0] is None else _kernels(block).named(ks[0])
                gc.collect()

            f, size, buf, arena, wbuf, kept, tmp = st.open_file(src, stream[0], code)
            k = ks[0]
            code = ks = None
            self._src = st.Source(f, src, size, wbuf, stream[1], tmp)
            wbuf = None
        elif file is not None:
            buf, arena = file
        elif self.name is not None:
            buf = _read(src)
        else:
            mf.check_free(len(src), "model bytes")
            buf = bytearray(src)
        # the big blocks first (file, arena, the kernels' code), then the many small
        # objects of the layer table: those strewn over the heap would split it
        self._buf = buf
        self._fsize = size or len(buf)
        h = mf.header(buf, arena is not None, size)  # load() made the arena the header asks for
        self.arena = arena if arena is not None else bytearray(h[4])
        arena = None
        # float32 copy of list input: made now, while the heap still has big free blocks
        d = struct.unpack_from("<HHH", buf, 32)
        n = d[0] * d[1] * d[2]
        # (a big input's on first use: 96x96 would take 36 KB the arena needs now)
        self._xf = array("f", range(n)) if n <= min(h[4], 1024) else None
        parsed = None
        if self._src is not None:  # the blobs kept in the heap into their block
            parsed = mf.parse(buf, h, size)
            self._src.keep(parsed[2], kept)
            kept = None
        if k is None or isinstance(k, str):
            k = _kernels() if k is None else _kernels().named(k)
        self._k = k
        # float input's quantize: imported with the kernels, except for streamed weights
        # (first use: an int8-fed camera model never imports it)
        self._q = self._quantizer() if self._src is None else None
        self._out_lut = array("f", range(256))  # filled below
        hdr, tensors, layers = parsed or mf.parse(buf, h, size)
        self.arena_size, ncls, names_off, norm_off = hdr
        am = memoryview(self.arena)
        fm = memoryview(buf)
        self._tv = [None] * len(tensors)  # lists sized once: no growing reallocations
        for i in range(len(tensors)):
            self._tv[i] = am[tensors[i][3]:tensors[i][3] + tensors[i][4]]
        self.tensors = tensors
        self.layers = layers
        self.input_shape = tensors[0][0]
        self.input_size = tensors[0][4]
        self.in_zp, self.in_scale = tensors[0][1], tensors[0][2]
        c = self.input_shape[-1]
        self._c = c
        self._norm = fm[norm_off:norm_off + 8 * c]  # float32 mean[c], std[c]
        self._sc = fm[_TSCALE:_TSCALE + 4]  # float32 input scale
        self.class_names = [None] * ncls
        pos = names_off
        for i in range(ncls):
            self.class_names[i] = str(fm[pos + 1:pos + 1 + buf[pos]], "utf-8")
            pos += 1 + buf[pos]
        raw = getattr(k, "RAW", False)
        self._steps = [None] * len(layers)
        every = 1 if self._src is not None else 16  # streamed: steps packed low (no code after)
        for i in range(len(layers)):
            if i % every == every - 1:
                gc.collect()
            self._steps[i] = self._step(i, layers[i], fm, am, raw)
        if self._src is not None:
            self._src.ready()
        out = tensors[-1]
        self.scores = array("f", range(out[4]))
        _deq_fill(self._out_lut, out[2], out[1])
        # embedding: the input of the last FULLY_CONNECTED layer; its buffers on first embed()
        self._emb_layer = None
        for i in range(len(layers)):
            if layers[i][0] == mf.FC:
                self._emb_layer = i
        self._emb = None
        self._outs = [None, None, None, None, None]  # the out= buffers last checked, per method
        gc.collect()

    def _step(self, i, L, fm, am, raw):
        """(op, kernel, args...) of one layer, all objects prebuilt."""
        op, ins, pp, p, s_off, b_off, b_size = L
        k = self._k
        x = self._tv[ins[0]]
        out = self._tv[i + 1]
        pa = p  # parse() made it an array('i'): shared with self.layers, never written
        if self._src is not None and b_size:
            fm = self._src.kept[i]
            if fm is None:
                return self._streamed(i, L, k, x, out, pa, am, raw)
            b_off = 0
        if op in (mf.FC, mf.CONV, mf.DW):
            if op == mf.FC:
                nw, n = p[0] * p[1], p[1]
            elif op == mf.CONV:
                nw, n = p[5] * p[6] * p[7] * p[2], p[5]
            else:
                nw, n = p[6] * p[7] * p[2] * p[5], p[2] * p[5]
            w = fm[b_off:b_off + nw]
            o = b_off + ((nw + 3) & ~3)
            args = (w, _i32(fm, o, n, raw), _i32(fm, o + 4 * n, n, raw),
                    _i32(fm, o + 8 * n, n, raw), out, pa)
            fn = (k.fc if op == mf.FC else (k.conv if op == mf.CONV else k.dwconv))
            if pp:
                scratch = am[s_off:s_off + pp[5] * pp[6] * pp[2]]
                return (op, fn, scratch) + args + (self._padfn(k, ins, s_off), x, pp)
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
            fn = getattr(k, "softmax", None)
            if fn is None:  # kernel sets without one: the plain twin
                from .softmax import softmax as fn
            raw = fn is getattr(k, "softmax", None) and getattr(k, "RAW_SOFTMAX", False)
            return (op, fn, x, out, pa, _i32(fm, b_off + 12, 256, raw))
        return (op, None)  # RESHAPE: the output aliases the input

    def _streamed(self, i, L, k, x, out, pa, am, raw):
        """A step reading its weights from the file as it runs (stream.Streamed)."""
        from . import stream as st
        op, ins, pp, p, s_off, b_off, b_size = L
        if not raw:
            raise ValueError("streamed weights need the viper kernels (kernels=%r reads int32 "
                             "tables as arrays)" % getattr(k, "__name__", "plain"))
        n, per, rows = st._shape(op, p)
        nw = n * per
        fn = k.fc if op == mf.FC else (k.conv if op == mf.CONV else k.dwconv)
        pad = None
        if pp:
            pad = (self._padfn(k, ins, s_off), x, pp)
            x = am[s_off:s_off + pp[5] * pp[6] * pp[2]]
        s = st.Streamed(self._src, i, op, b_off, nw, n, per, rows, (fn, x, out, pa, pad))
        return (op | st.FLAG, s)

    def _quantizer(self):
        f = getattr(self._k, "quantizer", None)
        if f is None:  # "plain", or a kernel set without one (tests): the plain twin
            from .quantize import quantize as q
            return q
        try:
            return f()
        except MemoryError:
            gc.collect()
            raise HeapFull("not enough heap to import the float input's quantize: %d bytes "
                           "free (pass int8 bytes, which need none)" % gc.mem_free())

    def _padfn(self, k, ins, s_off):
        """pad, or pad_inplace where the arena plan put the padded copy over the input (an
        input no later layer reads: docs/format.md, "Arena")."""
        if s_off == self.tensors[ins[0]][3]:
            return getattr(k, "pad_inplace", None) or _twin_pad_inplace()
        return k.pad

    def close(self):
        """Close the model file a streamed model reads its weights from, and clear the
        kernels' scratch of this model's addresses (its memory is free once it is dropped)."""
        if self._src is not None:
            self._src.close()
        _forget()

    def _run(self, n, start=0):
        steps = self._steps
        for i in range(start, n):
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
            elif op & 32:  # weights streamed from the file (stream.FLAG)
                s[1].run()
            elif op != mf.RESHAPE:
                s[1](s[2], s[3], s[4])

    def _set_input(self, x):
        _set_input(self, x)

    def predict_int8(self, x, out=None):
        """Run the whole model on x: floats (normalised and quantized here) or int8
        bytes. Returns the int8 output tensor as a memoryview that the next call
        overwrites, or copies it into `out` (a bytearray of the output size)."""
        self._set_input(x)
        self._run(len(self._steps))
        res = self._tv[-1]
        if out is None:
            return res
        self._check_out(0, out, len(res), False)
        out[:] = res
        return out

    def predict(self, x, out=None):
        """Class scores (dequantized output) in an array('f') that the next call
        overwrites, or in `out` (your array('f') of len(class_names))."""
        res = self.predict_int8(x)
        if out is None:
            out = self.scores
        else:
            self._check_out(1, out, len(self.scores), True)
        _deq(res, self._out_lut, out)
        return out

    def embed(self, x, out=None):
        """Dequantized input of the last FULLY_CONNECTED layer (the feature vector),
        in an array('f') that the next call overwrites, or in `out` (your array('f'))."""
        if self._emb_layer is None:
            raise ValueError("model has no FULLY_CONNECTED layer to embed before")
        t = self.tensors[self.layers[self._emb_layer][1][0]]
        if self._emb is None:  # made on first use: predict() never needs them
            try:
                self._emb = (array("f", range(t[4])), _deq_fill(array("f", range(256)), t[2], t[1]))
            except MemoryError:
                raise ValueError("embed() needs %d bytes of heap for its buffers" % (4 * t[4] + 1024))
        self._set_input(x)
        self._run(self._emb_layer)
        if out is None:
            out = self._emb[0]
        else:
            self._check_out(2, out, t[4], True)
        _deq(self._tv[self.layers[self._emb_layer][1][0]], self._emb[1], out)
        return out

    def embed_int8(self, x, out=None):
        """Raw int8 input of the last FULLY_CONNECTED layer (zero point: the tensor's,
        head()[2]): a memoryview of the arena that the next call overwrites, or copied
        into `out` (your bytearray). Runs the model up to that layer only."""
        e = self._emb_layer
        if e is None:
            raise ValueError("model has no FULLY_CONNECTED layer to embed before")
        self._set_input(x)
        self._run(e)
        res = self._tv[self.layers[e][1][0]]
        if out is None:
            return res
        self._check_out(3, out, len(res), False)
        out[:] = res
        return out

    def quantize(self, x, out):
        """The model's int8 input for x (floats normalised and quantized as predict() does
        it, int8 bytes as they are) copied into `out`, a bytearray of input_size bytes:
        learned later, it gives the embedding x gives now. Runs no layer."""
        self._check_out(4, out, self.input_size, False)
        self._set_input(x)
        out[:] = self._tv[0]  # before a run: the arena reuses the input's bytes
        return out

    def head(self):
        """For the Learner, of a model that ends FULLY_CONNECTED -> SOFTMAX:
        ((fc kernel, w, bias, mult, shift, p), (softmax kernel, p, table), (D, embedding zp),
        (ms, es): the logits' scale ms * 2**es).
        Kernel arguments as the model's own steps hold them (views into the file, no copy)."""
        n = len(self.layers)
        if n < 2 or self.layers[n - 1][0] != mf.SOFTMAX or self.layers[n - 2][0] != mf.FC \
                or self.layers[n - 1][1][0] != n - 1:
            raise ValueError("the model must end FULLY_CONNECTED -> SOFTMAX (the classifier the "
                             "Learner trains); it ends %s" % " -> ".join(
                                 mf.NAMES[L[0]] for L in self.layers[-2:]))
        f, s = self._steps[n - 2], self._steps[n - 1]
        t = self.tensors[self.layers[n - 2][1][0]]
        # the logits' scale from its f32 bits (ms * 2**es): integers agree on every port
        o = 32 + 20 * (n - 1) + 8
        b = self._buf
        es = ((b[o + 3] & 0x7F) << 1 | b[o + 2] >> 7) - 150
        ms = (b[o + 2] & 0x7F | 0x80) << 16 | b[o + 1] << 8 | b[o]
        return (f[1], f[3], f[4], f[5], f[6], f[8]), (s[1], s[4], s[5]), (t[4], t[1]), (ms, es)

    def _check_out(self, k, out, n, floats):
        if out is self._outs[k]:  # checked before: no allocation on repeated calls
            return
        if floats:
            ok = isinstance(out, array) and _float_array(out) == 4
            want = "an array('f')"
        else:
            ok = isinstance(out, (bytearray, memoryview))
            want = "a bytearray"
        if not ok:
            raise TypeError("out must be %s, got %s" % (want, type(out).__name__))
        if len(out) != n:
            raise ValueError("out has %d items, the result has %d" % (len(out), n))
        self._outs[k] = out

    def stats(self):
        """{'params', 'macs', 'arena', 'file'}: what summary() prints at the end."""
        tot_p = tot_m = 0
        for i in range(len(self.layers)):
            p, m = self._layer_stats(i)
            tot_p += p
            tot_m += m
        return {"params": tot_p, "macs": tot_m, "arena": self.arena_size, "file": self._fsize}

    def _layer_stats(self, i):
        op, p = self.layers[i][0], self.layers[i][3]
        if op == mf.FC:
            return p[0] * p[1] + p[1], p[0] * p[1]
        if op == mf.CONV:
            return p[5] * (p[6] * p[7] * p[2] + 1), p[3] * p[4] * p[5] * p[6] * p[7] * p[2]
        if op == mf.DW:
            return p[2] * p[5] * (p[6] * p[7] + 1), p[3] * p[4] * p[2] * p[5] * p[6] * p[7]
        if op in (mf.AVGPOOL, mf.MAXPOOL):
            return 0, p[3] * p[4] * p[2] * p[5] * p[6]
        if op == mf.MEAN:
            return 0, p[0] * p[1]
        if op in (mf.ADD, mf.SOFTMAX):
            return 0, self.tensors[i + 1][4]
        return 0, 0

    def summary(self):
        """Print the layers, parameters and MACs (stats() gives the totals)."""
        print("layer op                 output          params       MACs")
        for i, L in enumerate(self.layers):
            p, m = self._layer_stats(i)
            print("%5d %-18s %-15s %6d %10d" % (i, mf.NAMES[L[0]], str(self.tensors[i + 1][0]), p, m))
        s = self.stats()
        print("params %d, MACs %d, arena %d bytes, file %d bytes"
              % (s["params"], s["macs"], s["arena"], s["file"]))

    def __repr__(self):
        return "<Model %s: input %s, %d classes, arena %d bytes>" % (
            repr(self.name) if self.name else "from bytes", self.input_shape,
            len(self.class_names) or self.tensors[-1][4], self.arena_size)


def _twin_pad_inplace():  # kernel sets without one (tests): the plain twin
    from .kernels_py_pool import pad_inplace
    return pad_inplace


def _kernels(tight=0):
    """The kernels module. If this imports it, tight (the bytes a streamed model's block will
    take) leaves quantize to its first use and sizes the Thumb kernels' scratch for what is
    left (compat.tight)."""
    from . import compat
    compat.tight = tight
    try:
        from . import kernels
    except (MemoryError, ImportError) as e:  # ImportError: what a full heap leaves behind
        gc.collect()
        raise HeapFull("not enough heap to import microlearn.kernels (%s: %s): %d bytes free"
                         % (type(e).__name__, e, gc.mem_free()))
    return kernels


def _i32(fm, off, n, raw):
    """int32 table of the file: a view where the kernel reads raw buffers, else an
    array('i') (the plain kernels index ints), copied once straight from the file."""
    return fm[off:off + 4 * n] if raw else mf.i32_array(fm, off, n)


def _deq_fill(t, scale, zp):
    """t[b] = the dequantized value of raw byte b of an int8 tensor; returns t."""
    for b in range(256):
        t[b] = ((b ^ 0x80) - 0x80 - zp) * scale
    return t


def _deq(src, lut, dst):
    if _lut32 is not None:
        _lut32(src, lut, dst, len(dst))
    else:
        for i in range(len(dst)):
            dst[i] = lut[src[i]]


def _read(path):
    import os
    try:
        size = os.stat(path)[6]
    except OSError:
        raise ValueError("cannot open model file %r" % path)
    mf.check_free(size, "model file %r" % path)
    buf = bytearray(size)
    with open(path, "rb") as f:
        got = f.readinto(buf)
    if got != size:
        raise ValueError("model file %r: read %d of %d bytes" % (path, got or 0, size))
    return buf
