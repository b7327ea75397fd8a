# Viper conv and depthwise on 32-bit words (ESP32's xtensawin, armv6m/armv7m, x86), where
# rows, steps and buffers are 4-aligned (a 1x1 conv or a depthwise over a multiple of 4
# channels): one 32-bit load brings 4 int8 values, sign-extended by shifts ((v << 24) >> 24
# ...), far fewer instructions than 4 byte loads with (b ^ 0x80) - 0x80. The x64 port's
# 64-bit words would need other shifts: there the dispatchers take the byte loops.
# kernels.py picks dwconv here and conv in kernels_viper_pair.py on 32-bit viper boards.
# The hot values come first (xp, wp, acc: viper keeps its first locals in registers).
import micropython
from micropython import const

from . import kernels_viper as _kv

_D = const(0x7FFF)  # one base-2**15 digit


@micropython.viper
def conv_words(xp: int, wp: int, acc: int, x: ptr8, w: ptr8, bias: ptr32, mult: ptr32,
               shift: ptr32, out: ptr8, p: ptr32):
    # p as kernels_viper.conv; the caller checked that run, row, steps, x and w are 4-aligned
    n30 = 1
    n30 = n30 << 30
    c = p[2]
    oh = p[3]
    ow = p[4]
    n_oc = p[5]
    kh = p[6]
    run = p[7] * c
    row = p[1] * c
    ystep = p[8] * row
    xstep = p[9] * c
    zp = p[10]  # 32-bit words: a ptr32 field is already signed
    lo = p[11]
    hi = p[12]
    x0 = int(x)
    oi = 0
    for oy in range(oh):
        for ox in range(ow):
            base = x0 + oy * ystep + ox * xstep
            wp = int(w)
            for o in range(n_oc):
                acc = bias[o]
                xr = base
                for ky in range(kh):
                    xp = xr
                    xe = xr + run
                    while xp < xe:
                        acc += (((ptr32(xp)[0] << 24) >> 24) * ((ptr32(wp)[0] << 24) >> 24)
                                + ((ptr32(xp)[0] << 16) >> 24) * ((ptr32(wp)[0] << 16) >> 24)
                                + ((ptr32(xp)[0] << 8) >> 24) * ((ptr32(wp)[0] << 8) >> 24)
                                + (ptr32(xp)[0] >> 24) * (ptr32(wp)[0] >> 24))
                        xp += 4
                        wp += 4
                    xr += row
                m = mult[o]
                s = shift[o]
                # -- requantize acc -> v: MultiplyByQuantizedMultiplier(acc, m, s) --
                rs = 0 - s
                if s > 0:
                    acc = acc << s  # host guarantees this stays inside int32
                    rs = 0
                sg = acc >> 31  # -1 for acc < 0, else 0
                a = (acc ^ sg) - sg  # |acc|; -2**31 stays negative
                if (a >> 15) == 0:  # |acc| < 2**15
                    # |acc| * m with m in two 15-bit halves: no product or sum reaches 2**31. The nudge
                    # is 2**30, or 2**30 - 1 for acc < 0 (n30 = 2**30, made at run time).
                    v = (a * (m & _D) + n30 + sg) >> 15
                    v = (a * (m >> 15) + v) >> 16
                    if rs > 0:  # RoundingDivideByPOT is odd: round |v| half up
                        v = (v >> rs) + ((v >> (rs - 1)) & 1)
                    v = (v ^ sg) - sg
                else:
                    # SRDHM on |acc| in base-2**15 digits: no product or sum reaches 2**31.
                    r01 = 0  # nudge 2**30 (acc >= 0) or 2**30 - 1 (acc < 0), as digits
                    r2 = 1
                    if acc < 0:
                        r01 = _D
                        r2 = 0
                    a0 = a & _D
                    a1 = (a >> 15) & _D
                    a2 = (a >> 30) & 3  # 2 only for acc == -2**31
                    m0 = m & _D
                    m1 = (m >> 15) & _D
                    m2 = (m >> 30) & 1
                    t = a0 * m0 + r01
                    t = (t >> 15) + a1 * m0 + a0 * m1 + r01
                    t = (t >> 15) + a2 * m0 + a1 * m1 + a0 * m2 + r2
                    v = (t & _D) >> 1  # floor((P + r) / 2**31) from digits 2 and up
                    t = (t >> 15) + a2 * m1 + a1 * m2 + ((a2 * m2) << 15)
                    v += t << 14
                    if acc < 0:
                        v = 0 - v
                    if rs > 0:  # RoundingDivideByPOT: half away from zero
                        mask = (1 << rs) - 1
                        rem = v & mask
                        th = mask >> 1
                        if v < 0:
                            th += 1
                        v = v >> rs
                        if rem > th:
                            v += 1
                # -- end requantize --
                v += zp
                if v < lo:
                    v = lo
                if v > hi:
                    v = hi
                out[oi] = v & 0xFF
                oi += 1

_ACC_N = const(256)  # channels dwconv takes: one int32 accumulator each
_ACC = bytearray(4 * _ACC_N)  # int32s (one allocation: no temporary bytes)


@micropython.viper
def dwconv_words(xp: int, wp: int, ap: int, x: ptr8, w: ptr8, bias: ptr32, mult: ptr32,
                 shift: ptr32, out: ptr8, p: ptr32):
    # p as kernels_viper.dwconv, depth multiplier 1, c <= _ACC_N; the caller checked that
    # c, x and w are 4-aligned. Channel-wise: a window row's taps are kw * c contiguous
    # bytes of x and of w, 4 channels a word, summed into _ACC; then every channel is
    # requantized.
    n30 = 1
    n30 = n30 << 30
    c = p[2]
    kh = p[6]
    run = p[7] * c
    row = p[1] * c
    ystep = p[8] * row
    xstep = p[9] * c
    zp = p[10]  # 32-bit words: a ptr32 field is already signed
    lo = p[11]
    hi = p[12]
    acc0 = ptr32(_ACC)
    ab = int(acc0)
    ae = ab + 4 * c
    x0 = int(x)
    oi = 0
    for oy in range(p[3]):
        for ox in range(p[4]):
            for o in range(c):
                acc0[o] = bias[o]
            xr = x0 + oy * ystep + ox * xstep
            wp = int(w)
            for ky in range(kh):
                xp = xr
                xe = xr + run
                while xp < xe:  # one tap: c channels
                    ap = ab
                    while ap < ae:
                        u = ptr32(xp)[0]
                        v = ptr32(wp)[0]
                        ptr32(ap)[0] = ptr32(ap)[0] + ((u << 24) >> 24) * ((v << 24) >> 24)
                        ptr32(ap)[1] = ptr32(ap)[1] + ((u << 16) >> 24) * ((v << 16) >> 24)
                        ptr32(ap)[2] = ptr32(ap)[2] + ((u << 8) >> 24) * ((v << 8) >> 24)
                        ptr32(ap)[3] = ptr32(ap)[3] + (u >> 24) * (v >> 24)
                        xp += 4
                        wp += 4
                        ap += 16
                xr += row
            for o in range(c):
                acc = acc0[o]
                m = mult[o]
                s = shift[o]
                # -- requantize acc -> v: MultiplyByQuantizedMultiplier(acc, m, s) --
                rs = 0 - s
                if s > 0:
                    acc = acc << s  # host guarantees this stays inside int32
                    rs = 0
                sg = acc >> 31  # -1 for acc < 0, else 0
                a = (acc ^ sg) - sg  # |acc|; -2**31 stays negative
                if (a >> 15) == 0:  # |acc| < 2**15
                    # |acc| * m with m in two 15-bit halves: no product or sum reaches 2**31. The nudge
                    # is 2**30, or 2**30 - 1 for acc < 0 (n30 = 2**30, made at run time).
                    v = (a * (m & _D) + n30 + sg) >> 15
                    v = (a * (m >> 15) + v) >> 16
                    if rs > 0:  # RoundingDivideByPOT is odd: round |v| half up
                        v = (v >> rs) + ((v >> (rs - 1)) & 1)
                    v = (v ^ sg) - sg
                else:
                    # SRDHM on |acc| in base-2**15 digits: no product or sum reaches 2**31.
                    r01 = 0  # nudge 2**30 (acc >= 0) or 2**30 - 1 (acc < 0), as digits
                    r2 = 1
                    if acc < 0:
                        r01 = _D
                        r2 = 0
                    a0 = a & _D
                    a1 = (a >> 15) & _D
                    a2 = (a >> 30) & 3  # 2 only for acc == -2**31
                    m0 = m & _D
                    m1 = (m >> 15) & _D
                    m2 = (m >> 30) & 1
                    t = a0 * m0 + r01
                    t = (t >> 15) + a1 * m0 + a0 * m1 + r01
                    t = (t >> 15) + a2 * m0 + a1 * m1 + a0 * m2 + r2
                    v = (t & _D) >> 1  # floor((P + r) / 2**31) from digits 2 and up
                    t = (t >> 15) + a2 * m1 + a1 * m2 + ((a2 * m2) << 15)
                    v += t << 14
                    if acc < 0:
                        v = 0 - v
                    if rs > 0:  # RoundingDivideByPOT: half away from zero
                        mask = (1 << rs) - 1
                        rem = v & mask
                        th = mask >> 1
                        if v < 0:
                            th += 1
                        v = v >> rs
                        if rem > th:
                            v += 1
                # -- end requantize --
                v += zp
                if v < lo:
                    v = lo
                if v > hi:
                    v = hi
                out[oi] = v & 0xFF
                oi += 1


@micropython.viper
def dwconv(x, w, bias, mult, shift, out, p):
    # kernels_viper.dwconv's arguments. Depth multiplier 1 on 32-bit words, c a multiple of
    # 4 (up to 256), buffers 4-aligned: dwconv_words; else the byte loop. (Arguments pass
    # through as objects: a pointer boxed for a call could be a big int.)
    s31 = 1
    s31 = s31 << 31
    q = ptr32(p)
    c = q[2]
    if s31 < 0 and q[5] == 1 and 0 < c <= _ACC_N and ((int(ptr8(x)) | int(ptr8(w)) | c) & 3) == 0:
        dwconv_words(0, 0, 0, x, w, bias, mult, shift, out, p)
    else:
        _kv.dwconv(x, w, bias, mult, shift, out, p)
