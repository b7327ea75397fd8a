# Viper conv in the "pair" form, for 32-bit words: two int8 inputs packed as
# X = x0 + 65536 * x1 and two weights as W = w1 + 65536 * w0 give, with one multiply,
# (X * W + 0x8000) >> 16 == x0 * w0 + x1 * w1 exactly: the low half x0 * w1 plus 0x8000
# stays in [0, 65536) and the sum stays inside 16 signed bits unless both weights of a
# pair are -128 (checked while packing; the caller then takes another kernel). The int32
# product wraps mod 2**32, which drops x1 * w0; 64-bit words would keep it, so the x64
# port never comes here.
# Weights are packed at run time, a block of output channels at a time, into _W (no copy
# of the model's weights stays in the heap); each pixel's window is packed into _X
# (im2col: any stride, padding and channel count). Zero pairs pad both to a multiple of
# 4 pairs for the unrolled loop. DS-CNN on m0: see docs/benchmarks.md. conv (at the end)
# is what kernels.py picks on 32-bit viper boards: it falls back to the word and byte loops.
import micropython
from micropython import const

from . import kernels_viper as _kv
from . import kernels_viper32 as _kv32
from .pairs_viper import pack_w as _pack_w

_D = const(0x7FFF)  # one base-2**15 digit
_XN = const(128)  # pairs a window may have (kh * kw * c <= 256)
_WN = const(512)  # packed pairs of a block of output channels
_X = bytearray(4 * _XN)  # int32s (one allocation: no temporary bytes)
_W = bytearray(4 * _WN)


@micropython.viper
def conv_pairs(xp: int, wp: int, acc: int, x: ptr8, w, bias: ptr32, mult: ptr32,
               shift: ptr32, out: ptr8, p: ptr32) -> int:
    # p as kernels_viper.conv; kh * kw * c <= 2 * _XN. 0 (nothing trustworthy written) if
    # the weights have a (-128, -128) pair.
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
    n = kh * run
    n2 = (n + 1) >> 1
    n2p = (n2 + 3) & ~3
    xs = ptr32(_X)
    for i in range(n2p):
        xs[i] = 0
    xa = int(xs)
    xe = xa + 4 * n2p
    x8 = xa + 32 * (n2p >> 3)  # 8 pairs an iteration up to here, then 4
    ws = ptr32(_W)
    bsz = _WN // n2p  # output channels a block
    ob = 0
    while ob < n_oc:
        nb = n_oc - ob
        if nb > bsz:
            nb = bsz
        if not _pack_w(w, _W, ob, nb, n, n2p):  # objects: a boxed pointer could be a big int
            return 0
        pix = 0
        for oy in range(oh):
            for ox in range(ow):
                # the window, row by row, into pairs
                xr = oy * ystep + ox * xstep
                j = 0
                if run & 1:  # pairs straddle rows
                    k = 0
                    lowv = 0
                    for ky in range(kh):
                        for i in range(run):
                            v = (x[xr + i] ^ 0x80) - 0x80
                            if k & 1:
                                xs[j] = lowv + (v << 16)
                                j += 1
                            else:
                                lowv = v
                            k += 1
                        xr += row
                    if k & 1:
                        xs[j] = lowv
                else:  # whole pairs in every row
                    for ky in range(kh):
                        i = xr
                        e = xr + run
                        while i < e:
                            xs[j] = ((x[i] ^ 0x80) - 0x80) + (((x[i + 1] ^ 0x80) - 0x80) << 16)
                            j += 1
                            i += 2
                        xr += row
                oi = pix * n_oc + ob
                wp = int(ws)
                for o in range(ob, ob + nb):
                    acc = bias[o]
                    xp = xa
                    while xp < x8:
                        acc += (((ptr32(xp)[0] * ptr32(wp)[0] + 0x8000) >> 16)
                                + ((ptr32(xp)[1] * ptr32(wp)[1] + 0x8000) >> 16)
                                + ((ptr32(xp)[2] * ptr32(wp)[2] + 0x8000) >> 16)
                                + ((ptr32(xp)[3] * ptr32(wp)[3] + 0x8000) >> 16)
                                + ((ptr32(xp)[4] * ptr32(wp)[4] + 0x8000) >> 16)
                                + ((ptr32(xp)[5] * ptr32(wp)[5] + 0x8000) >> 16)
                                + ((ptr32(xp)[6] * ptr32(wp)[6] + 0x8000) >> 16)
                                + ((ptr32(xp)[7] * ptr32(wp)[7] + 0x8000) >> 16))
                        xp += 32
                        wp += 32
                    if xp < xe:
                        acc += (((ptr32(xp)[0] * ptr32(wp)[0] + 0x8000) >> 16)
                                + ((ptr32(xp)[1] * ptr32(wp)[1] + 0x8000) >> 16)
                                + ((ptr32(xp)[2] * ptr32(wp)[2] + 0x8000) >> 16)
                                + ((ptr32(xp)[3] * ptr32(wp)[3] + 0x8000) >> 16))
                        wp += 16
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
                pix += 1
        ob += nb
    return 1


@micropython.viper
def conv(x, w, bias, mult, shift, out, p):
    # kernels_viper.conv's arguments. On 32-bit words: the pair form for windows of at most
    # 2 * _XN bytes (unless a weight pair is (-128, -128)), else the word loop where rows,
    # steps and buffers are 4-aligned, else the byte loop. (Arguments pass through as
    # objects: a pointer boxed for a call could be a big int.)
    s31 = 1
    s31 = s31 << 31
    q = ptr32(p)
    c = q[2]
    row = q[1] * c
    if s31 < 0:
        if q[6] * q[7] * c <= 2 * _XN and int(conv_pairs(0, 0, 0, x, w, bias, mult, shift, out, p)):
            return
        if ((int(ptr8(x)) | int(ptr8(w)) | q[7] * c | row | q[8] * row | q[9] * c) & 3) == 0:
            _kv32.conv_words(0, 0, 0, x, w, bias, mult, shift, out, p)
            return
    _kv.conv(x, w, bias, mult, shift, out, p)
