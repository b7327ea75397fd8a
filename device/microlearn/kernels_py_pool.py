# Plain-Python twins of kernels_viper_pool.py (padding, pooling, mean, ADD).
from .kernels_py import _s8, _out, _wrap32, mbqm


def pad(x, out, p):
    # p = [h, w, c, top, left, ph, pw, fill]
    h, w, c, top, left, ph, pw, fill = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
    f = fill & 0xFF
    for i in range(ph * pw * c):
        out[i] = f
    for y in range(h):
        d = ((y + top) * pw + left) * c
        s = y * w * c
        for k in range(w * c):
            out[d + k] = x[s + k]


def pad_inplace(x, out, p):
    # pad's result where out starts at x's first byte and x is not read after: the rows
    # move last first (each to a higher address), then the border is filled
    h, w, c, top, left, ph, pw, fill = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
    f = fill & 0xFF
    rowx, rowo = w * c, pw * c
    for y in range(h - 1, -1, -1):
        d = (y + top) * rowo + left * c
        s = y * rowx
        for k in range(rowx - 1, -1, -1):
            out[d + k] = out[s + k]
    for i in range(top * rowo):
        out[i] = f
    for y in range(top, top + h):
        b = y * rowo
        for i in range(left * c):
            out[b + i] = f
        for i in range((left + w) * c, rowo):
            out[b + i] = f
    for i in range((top + h) * rowo, ph * rowo):
        out[i] = f


def _pool(x, out, p, avg):
    # p = [h, w, c, oh, ow, fh, fw, sh, sw, pad_top, pad_left, act_min, act_max]
    h, w, c, oh, ow, fh, fw, sh, sw, pt, pl, lo, hi = [p[i] for i in range(13)]
    oi = 0
    for oy in range(oh):
        y0 = oy * sh - pt
        y1, y0 = min(y0 + fh, h), max(y0, 0)
        for ox in range(ow):
            x0 = ox * sw - pl
            x1, x0 = min(x0 + fw, w), max(x0, 0)
            cnt = (y1 - y0) * (x1 - x0)
            for ch in range(c):
                vals = [_s8(x[(y * w + xx) * c + ch]) for y in range(y0, y1) for xx in range(x0, x1)]
                if avg:
                    s = sum(vals)
                    # C: (s +- cnt/2) / cnt, truncating toward zero
                    v = (s + cnt // 2) // cnt if s > 0 else -((cnt // 2 - s) // cnt)
                else:
                    v = max([-128] + vals)
                out[oi] = _out(v, lo, hi)
                oi += 1


def avgpool(x, out, p):
    _pool(x, out, p, True)


def maxpool(x, out, p):
    _pool(x, out, p, False)


def mean(x, out, p):
    # p = [hw, c, in_zp, out_zp, mult, shift]
    hw, c, in_zp, zp, m, s = p[0], p[1], p[2], p[3], p[4], p[5]
    for ch in range(c):
        acc = sum(_s8(x[k * c + ch]) for k in range(hw)) - hw * in_zp
        out[ch] = _out(mbqm(acc, m, s) + zp, -128, 127)


def add(x1, x2, out, p):
    # p = [n, in1_offset, in2_offset, left_shift, m1, s1, m2, s2, mo, so, out_zp, act_min, act_max]
    n, off1, off2, ls, m1, s1, m2, s2, mo, so, zp, lo, hi = [p[i] for i in range(13)]
    for i in range(n):
        a = mbqm((_s8(x1[i]) + off1) << ls, m1, s1)
        b = mbqm((_s8(x2[i]) + off2) << ls, m2, s2)
        out[i] = _out(mbqm(_wrap32(a + b), mo, so) + zp, lo, hi)
