# Plain-Python twins of the viper kernels: the reference the fast path is
# tested against, and the fallback where the native emitter is missing.
# Same arguments, same results (int32 two's-complement accumulators).
# They index buffers one element at a time and allocate only to decode
# int32 arrays that are not array('i') (see _i32).
from array import array

_INT32_MIN = -0x80000000


def _wrap32(v):
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def _i32(buf):
    """Index int32 arrays as ints: array('i') as is; raw byte buffers (e.g. a
    memoryview of a model file) are decoded, little-endian like every target."""
    return buf if isinstance(buf, array) else array('i', bytes(buf))


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 values."""
    if a == b == _INT32_MIN:
        return 0x7FFFFFFF
    ab = a * b
    s = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    return s >> 31 if s >= 0 else -((-s) >> 31)  # C division truncates


def rdbpot(x, e):
    """gemmlowp RoundingDivideByPOT: x / 2**e, ties away from zero."""
    mask = (1 << e) - 1
    th = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if (x & mask) > th else 0)


def mbqm(acc, m, shift):
    """TFLM MultiplyByQuantizedMultiplier (double rounding); the left shift
    wraps at int32 as in C (the viper kernels assume it does not)."""
    if shift > 0:
        return srdhm(_wrap32(acc << shift), m)
    return rdbpot(srdhm(acc, m), -shift)


def _s8(v):
    return v - 256 if v > 127 else v


def _out(v, lo, hi):
    return (lo if v < lo else hi if v > hi else v) & 0xFF


def dot_i8(a, b, n):
    """Sum of a[i]*b[i] over n int8 elements of two byte buffers, as int32."""
    acc = 0
    for i in range(n):
        x = a[i]
        y = b[i]
        acc += (x - 256 if x > 127 else x) * (y - 256 if y > 127 else y)
    return _wrap32(acc)


def fc(x, w, bias, mult, shift, out, p):
    # p = [n_in, n_out, out_zp, act_min, act_max]; bias has in_zp folded in.
    n_in, n_out, zp, lo, hi = p[0], p[1], p[2], p[3], p[4]
    bias, mult, shift = _i32(bias), _i32(mult), _i32(shift)
    for o in range(n_out):
        acc = bias[o] + dot_i8(x, memoryview(w)[o * n_in:], n_in)
        out[o] = _out(mbqm(_wrap32(acc), mult[o], shift[o]) + zp, lo, hi)


def conv(x, w, bias, mult, shift, out, p):
    # p = [ph, pw, c, oh, ow, oc, kh, kw, sh, sw, out_zp, act_min, act_max]
    pw, c, oh, ow, n_oc, kh, kw, sh, sw = p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    zp, lo, hi = p[10], p[11], p[12]
    bias, mult, shift = _i32(bias), _i32(mult), _i32(shift)
    run = kw * c
    oi = 0
    for oy in range(oh):
        for ox in range(ow):
            for o in range(n_oc):
                acc = bias[o]
                for ky in range(kh):
                    xi = ((oy * sh + ky) * pw + ox * sw) * c
                    wi = (o * kh + ky) * run
                    for k in range(run):
                        acc += _s8(x[xi + k]) * _s8(w[wi + k])
                out[oi] = _out(mbqm(_wrap32(acc), mult[o], shift[o]) + zp, lo, hi)
                oi += 1


def dwconv(x, w, bias, mult, shift, out, p):
    # p = [ph, pw, c, oh, ow, m, kh, kw, sh, sw, out_zp, act_min, act_max]
    pw, c, oh, ow, dm, kh, kw, sh, sw = p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
    zp, lo, hi = p[10], p[11], p[12]
    bias, mult, shift = _i32(bias), _i32(mult), _i32(shift)
    cm = c * dm
    oi = 0
    for oy in range(oh):
        for ox in range(ow):
            for o in range(cm):
                ic = o // dm
                acc = bias[o]
                for ky in range(kh):
                    for kx in range(kw):
                        xv = x[((oy * sh + ky) * pw + ox * sw + kx) * c + ic]
                        acc += _s8(xv) * _s8(w[(ky * kw + kx) * cm + o])
                out[oi] = _out(mbqm(_wrap32(acc), mult[o], shift[o]) + zp, lo, hi)
                oi += 1
