# Model input -> the int8 input tensor: int8 bytes are copied; floats are
# normalised and quantized by the kernels' quantize (viper: no float objects).
# Float input is any sequence of numbers (list, tuple, array of any type),
# array('f') / array('d') and ulab float arrays read in place, others copied
# into the model's float32 buffer first. A ulab int8 array is int8 input.
from array import array

from .compat import np as _np

_BYTES = (bytes, bytearray, memoryview)  # isinstance() tuples built once, not per call
_SEQ = (list, tuple, array)
_ND = type(_np.zeros(1)) if _np is not None else None


def set_input(m, x):
    """Fill model m's input tensor from x; ValueError naming what is wrong."""
    t = m._tv[0]
    n = m.input_size
    wide = 0
    if _ND is not None and isinstance(x, _ND):
        x, wide = _ulab_input(x, n)
        if wide < 0:  # int8 ulab array: quantized input
            x = memoryview(x)
    if isinstance(x, _BYTES):
        if len(x) != n:
            raise ValueError("int8 input has %d bytes, model expects %d" % (len(x), n))
        for i in range(n):
            t[i] = x[i] & 0xFF
        return
    if wide == 0:
        if not isinstance(x, _SEQ):
            raise ValueError("input must be floats (list, tuple, array('f'), ulab array) or "
                             "int8 bytes, got %s" % type(x).__name__)
        if len(x) != n:
            raise ValueError("input has %d values, model expects %d" % (len(x), n))
        wide = float_array(x)
        if wide == 0:  # any other sequence of numbers: to float32 first
            xf = m._xf
            if xf is None:  # a big input's buffer, made on first use
                try:
                    m._xf = xf = array("f", range(n))
                except MemoryError:
                    raise ValueError("a list of %d floats needs a %d-byte float32 copy: pass "
                                     "array('f') or int8 bytes" % (n, 4 * n))
            try:
                for i in range(n):
                    xf[i] = x[i]
            except TypeError:
                raise ValueError("input %d is %s, not a number" % (i, type(x[i]).__name__))
            x, wide = xf, 4
    if m._q is None:  # a streamed model's quantize, imported on first use
        m._q = m._quantizer()
    r = m._q(x, wide == 8, n, m._norm, m._c, m._sc, t, m.in_zp)
    if r >= 0:
        raise ValueError("input %d is %s: only finite numbers can be quantized" % (r, x[r]))


def float_array(x):
    """4 or 8: x is an array of float32 or float64 items; 0: anything else."""
    if not isinstance(x, array) or not len(x) or not isinstance(x[0], float):
        return 0
    return len(bytes(memoryview(x)[:1]))


def _ulab_input(x, n):
    """(buffer, 4 or 8: float item size, or -1: int8 input) of a ulab ndarray of any
    shape. dtype int8 is quantized input, as bytes; float is raw values; the other
    integer dtypes (uint8, int16, ...) are raw values too, converted to float."""
    if x.size != n:
        raise ValueError("input has %d values, model expects %d" % (x.size, n))
    dt = x.dtype
    if dt != _np.float and dt != _np.int8:
        x = _np.array(x, dtype=_np.float)
    try:
        memoryview(x)
    except TypeError:  # a strided view has no buffer: make it dense
        x = x.flatten()
    return x, (-1 if dt == _np.int8 else x.itemsize)
