# int8 softmax (TFLite Micro's reference kernel, gemmlowp fixed point) in
# viper, exact on 32-bit words and allocation-free. Twin: softmax.py (same
# signature and p layout); tests/device/check_softmax.py compares the two.
#
# The exps of every difference max - x (0..255) come precomputed from the host
# (table, Q0.31, 0 where TFLM excludes the element). Per row: the sum of
# exps rescaled to Q12.19 (< 2**28 for depth <= 511), reciprocal() (TFLite's
# GetReciprocal: three Newton-Raphson steps of gemmlowp's
# one_over_one_plus_x_for_x_in_0_1; its own function so that the check can
# compare it with the twin's word for word) and per element
# RoundingDivideByPOT(SRDHM(recip, exp), bits_over_unit + 23).
# Every SaturatingRoundingDoublingHighMul is done on magnitudes in base-2**15
# digits as kernels_viper.py's requantize block, so no product or sum reaches
# 2**31; constants >= 2**30 are built at run time (a literal would be an
# object in viper). Table entries are in [0, 2**31), so a ptr32 load that
# zero-extends (x64) reads them right.
import micropython
from array import array
from micropython import const

_D = const(0x7FFF)  # one base-2**15 digit
_ONE_Q29 = const(536870912)  # 1.0 in Q2.29 (2**29)
_NEG_32_17 = const(-1010580540)  # -32/17 in Q2.29
_R = array("i", [0, 0])  # reciprocal() -> softmax(): the raw result words


@micropython.viper
def reciprocal(s: int, dst: ptr32):
    # TFLite GetReciprocal(s, 12 integer digits) for s in [1, 2**30):
    # dst[0] = 1/(1 + shifted s) in Q0.31, dst[1] = bits over unit (12 - clz).
    # An int argument < 2**30 and results written as raw words: no allocation.
    s31 = 1
    s31 = s31 << 31
    imax = s31 - 1  # INT32_MAX on 32- and 64-bit words
    imin = 0 - s31  # INT32_MIN
    c30 = 1
    c30 = c30 << 30
    c48 = c30 + 442128986  # 48/17 in Q2.29 = 1515870810
    h = 0  # the top bit of s: clz = 31 - h
    while (s >> h) > 1:
        h += 1
    a = (s - (1 << h)) << (31 - h)  # (s << clz) - 2**31, in [0, 2**31)
    hd = (a >> 1) + c30  # RoundingHalfSum(a, INT32_MAX) for a >= 0
    # seven SRDHMs: k = 0: x = 48/17 + hd * (-32/17); then per Newton step
    # k odd: hd * x -> one_minus = 1 - it; k even: x += sat(x * one_minus << 2)
    xx = 0
    om = 0
    for k in range(7):
        if k == 0:
            ga = hd
            gb = _NEG_32_17
        elif k & 1:
            ga = hd
            gb = xx
        else:
            ga = xx
            gb = om
        # -- srdhm ga * gb -> gv (never both INT32_MIN here) --
        ng = 0
        ua = ga
        if ga < 0:
            ua = 0 - ga
            ng = 1
        ub = gb
        if gb < 0:
            ub = 0 - gb
            ng ^= 1
        r01 = 0  # nudge 2**30 (product >= 0) or 2**30 - 1 (< 0), as digits
        r2 = 1
        if ng:
            r01 = _D
            r2 = 0
        a0 = ua & _D
        a1 = (ua >> 15) & _D
        a2 = (ua >> 30) & 3
        b0 = ub & _D
        b1 = (ub >> 15) & _D
        b2 = (ub >> 30) & 3
        t = a0 * b0 + r01
        t = (t >> 15) + a1 * b0 + a0 * b1 + r01
        t = (t >> 15) + a2 * b0 + a1 * b1 + a0 * b2 + r2
        gv = (t & _D) >> 1
        t = (t >> 15) + a2 * b1 + a1 * b2 + ((a2 * b2) << 15)
        gv += t << 14
        if ng:
            gv = 0 - gv
        # -- end srdhm --
        if k == 0:
            xx = c48 + gv
        elif k & 1:
            om = _ONE_Q29 - gv
        else:  # SaturatingRoundingMultiplyByPOT<2>
            if gv > 536870911:
                gv = imax
            elif gv < -536870912:
                gv = imin
            else:
                gv = gv << 2
            xx += gv
    recip = xx << 1  # Rescale<0> of Q1: saturating shift left by 1
    if xx > 1073741823:
        recip = imax
    elif xx < 0 - c30:
        recip = imin
    dst[0] = recip
    dst[1] = h - 19


@micropython.viper
def softmax(x: ptr8, out: ptr8, p: ptr32, table: ptr32):
    # p = [rows, depth]; x, out: int8 (rows, depth); table: 256 int32 exps.
    s31 = 1
    s31 = s31 << 31
    r = ptr32(_R)
    rows = p[0]
    depth = p[1]
    base = 0
    for _r in range(rows):
        end = base + depth
        mx = 0  # the maximum as a byte biased by 128
        i = base
        while i < end:
            v = x[i] ^ 0x80
            if v > mx:
                mx = v
            i += 1
        s = 0  # sum of Rescale<12>(exp): RoundingDivideByPOT(e, 12), e >= 0
        i = base
        while i < end:
            e = table[mx - (x[i] ^ 0x80)]
            s += (e >> 12) + ((e >> 11) & 1)
            i += 1
        reciprocal(s, _R)  # s < 2**28 is a small int: the call allocates nothing
        recip = r[0]  # in [0, 2**31): a zero-extending load reads it right
        # output = RoundingDivideByPOT(SRDHM(recip, e), 35 - clz) - 128; recip, e >= 0
        sh = ((r[1] ^ s31) - s31) + 23  # bits over unit + 31 - 8 output bits
        sh1 = sh - 1
        b0 = recip & _D
        b1 = (recip >> 15) & _D
        b2 = (recip >> 30) & 1
        i = base
        while i < end:
            e = table[mx - (x[i] ^ 0x80)]
            a0 = e & _D
            a1 = (e >> 15) & _D
            a2 = (e >> 30) & 1
            t = a0 * b0
            t = (t >> 15) + a1 * b0 + a0 * b1
            t = (t >> 15) + a2 * b0 + a1 * b1 + a0 * b2 + 1
            v = (t & _D) >> 1
            t = (t >> 15) + a2 * b1 + a1 * b2 + ((a2 * b2) << 15)
            v += t << 14
            o = (v >> sh) + ((v >> sh1) & 1) - 128
            if o > 127:
                o = 127
            out[i] = o & 0xFF
            i += 1
        base = end
