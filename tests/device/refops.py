# Plain-Python kernels with the engine's kernel signatures, written from the
# TFLite Micro reference semantics. The engine tests use them where
# microlearn.kernels does not (yet) export a kernel, and as a second opinion.
from microlearn.softmax import srdhm, rdbpot


def _s8(v):
    return v - 256 if v > 127 else v


def _wrap32(v):
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def mbqm(acc, m, s):
    """MultiplyByQuantizedMultiplier, double rounding; the left shift wraps as int32."""
    if s > 0:
        return srdhm(_wrap32(acc << s), m)
    return rdbpot(srdhm(acc, m), -s)


def _put(out, i, y, lo, hi):
    out[i] = (lo if y < lo else (hi if y > hi else y)) & 0xFF


def fc(x, w, bias, mult, shift, out, p):
    n_in, n_out, ozp, lo, hi = p
    for o in range(n_out):
        acc = bias[o]
        b = o * n_in
        for j in range(n_in):
            acc += _s8(w[b + j]) * _s8(x[j])
        _put(out, o, mbqm(acc, mult[o], shift[o]) + ozp, lo, hi)


def pad(x, out, p):
    h, w, c, top, left, ph, pw, fill = p
    f = fill & 0xFF
    for i in range(ph * pw * c):
        out[i] = f
    for y in range(h):
        for k in range(w * c):
            out[((y + top) * pw + left) * c + k] = x[y * w * c + k]


def conv(x, w, bias, mult, shift, out, p):
    ph, pw, c, oh, ow, oc, kh, kw, sh, sw, ozp, lo, hi = p
    for oy in range(oh):
        for ox in range(ow):
            for o in range(oc):
                acc = bias[o]
                for ky in range(kh):
                    for kx in range(kw):
                        xb = ((oy * sh + ky) * pw + ox * sw + kx) * c
                        wb = ((o * kh + ky) * kw + kx) * c
                        for i in range(c):
                            acc += _s8(w[wb + i]) * _s8(x[xb + i])
                _put(out, (oy * ow + ox) * oc + o, mbqm(acc, mult[o], shift[o]) + ozp, lo, hi)


def dwconv(x, w, bias, mult, shift, out, p):
    ph, pw, c, oh, ow, m, kh, kw, sh, sw, ozp, lo, hi = p
    cm = c * m
    for oy in range(oh):
        for ox in range(ow):
            for o in range(cm):
                acc = bias[o]
                ic = o // m
                for ky in range(kh):
                    for kx in range(kw):
                        acc += (_s8(w[(ky * kw + kx) * cm + o])
                                * _s8(x[((oy * sh + ky) * pw + ox * sw + kx) * c + ic]))
                _put(out, (oy * ow + ox) * cm + o, mbqm(acc, mult[o], shift[o]) + ozp, lo, hi)


def _pool(x, out, p, avg):
    h, w, c, oh, ow, fh, fw, sh, sw, pt, pl, lo, hi = p
    for oy in range(oh):
        y0 = oy * sh - pt
        for ox in range(ow):
            x0 = ox * sw - pl
            for ch in range(c):
                s, n, mx = 0, 0, -128
                for y in range(max(y0, 0), min(y0 + fh, h)):
                    for xx in range(max(x0, 0), min(x0 + fw, w)):
                        v = _s8(x[(y * w + xx) * c + ch])
                        s += v
                        n += 1
                        mx = v if v > mx else mx
                if avg:
                    mx = (s + n // 2) // n if s > 0 else -((n // 2 - s) // n)
                _put(out, (oy * ow + ox) * c + ch, mx, lo, hi)


def avgpool(x, out, p):
    _pool(x, out, p, True)


def maxpool(x, out, p):
    _pool(x, out, p, False)


def mean(x, out, p):
    hw, c, in_zp, ozp, m, s = p
    for ch in range(c):
        acc = 0
        for k in range(hw):
            acc += _s8(x[k * c + ch]) - in_zp
        _put(out, ch, mbqm(acc, m, s) + ozp, -128, 127)


def add(x1, x2, out, p):
    n, o1, o2, ls, m1, s1, m2, s2, mo, so, ozp, lo, hi = p
    for i in range(n):
        a = mbqm((_s8(x1[i]) + o1) << ls, m1, s1)
        b = mbqm((_s8(x2[i]) + o2) << ls, m2, s2)
        _put(out, i, mbqm(_wrap32(a + b), mo, so) + ozp, lo, hi)
