# Viper kernels: int8 MACs into a machine-word accumulator. On 32-bit boards
# the word is int32 and wraps exactly as TFLite Micro's int32 accumulator;
# models are checked on the host so that no accumulator can overflow.
#
# Requantization (MultiplyByQuantizedMultiplier, TFLM double rounding) must be
# exact on 32-bit words without a 64-bit product: the "requantize" block splits
# |acc| and the multiplier into base-2**15 digits (see kernels_py.mbqm for the
# plain form). It is repeated verbatim in every kernel because calling a viper
# helper would box ints >= 2**30 (an allocation per output); the host test
# checks that all copies are identical.
# 64-bit builds (x64 Unix port) zero-extend ptr32 loads, so signed int32
# fields are sign-extended with (v ^ s31) - s31, s31 = 1 << 31 made at run
# time (a literal above 2**30 would be an object in viper).
# The kernels assume acc << shift fits int32 (the host refuses other models).
import micropython
from micropython import const

_D = const(0x7FFF)  # one base-2**15 digit


@micropython.viper
def dot_i8(a: ptr8, b: ptr8, n: int) -> int:
    acc = 0
    i = 0
    # Unrolled by 4: a quarter of the loop overhead, measurably faster on every target.
    n4 = n & ~3
    while i < n4:
        acc += ((a[i] ^ 0x80) - 0x80) * ((b[i] ^ 0x80) - 0x80)
        acc += ((a[i + 1] ^ 0x80) - 0x80) * ((b[i + 1] ^ 0x80) - 0x80)
        acc += ((a[i + 2] ^ 0x80) - 0x80) * ((b[i + 2] ^ 0x80) - 0x80)
        acc += ((a[i + 3] ^ 0x80) - 0x80) * ((b[i + 3] ^ 0x80) - 0x80)
        i += 4
    while i < n:
        acc += ((a[i] ^ 0x80) - 0x80) * ((b[i] ^ 0x80) - 0x80)
        i += 1
    return acc


@micropython.viper
def fc(x: ptr8, w: ptr8, bias: ptr32, mult: ptr32, shift: ptr32, out: ptr8, p: ptr32):
    # p = [n_in, n_out, out_zp, act_min, act_max]; bias has in_zp folded in.
    s31 = 1
    s31 = s31 << 31
    n30 = 1
    n30 = n30 << 30
    n_in = p[0]
    n_out = p[1]
    zp = (p[2] ^ s31) - s31
    lo = (p[3] ^ s31) - s31
    hi = (p[4] ^ s31) - s31
    n4 = n_in & ~3
    wi = 0
    for o in range(n_out):
        acc = (bias[o] ^ s31) - s31
        i = 0
        while i < n4:
            acc += ((x[i] ^ 0x80) - 0x80) * ((w[wi] ^ 0x80) - 0x80)
            acc += ((x[i + 1] ^ 0x80) - 0x80) * ((w[wi + 1] ^ 0x80) - 0x80)
            acc += ((x[i + 2] ^ 0x80) - 0x80) * ((w[wi + 2] ^ 0x80) - 0x80)
            acc += ((x[i + 3] ^ 0x80) - 0x80) * ((w[wi + 3] ^ 0x80) - 0x80)
            i += 4
            wi += 4
        while i < n_in:
            acc += ((x[i] ^ 0x80) - 0x80) * ((w[wi] ^ 0x80) - 0x80)
            i += 1
            wi += 1
        m = mult[o]
        s = (shift[o] ^ s31) - s31
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
        out[o] = v & 0xFF


@micropython.viper
def conv(x: ptr8, w: ptr8, bias: ptr32, mult: ptr32, shift: ptr32, out: ptr8, p: ptr32):
    # p = [ph, pw, c, oh, ow, oc, kh, kw, sh, sw, out_zp, act_min, act_max];
    # x is already padded with in_zp (ph, pw, c); w is OHWI.
    s31 = 1
    s31 = s31 << 31
    n30 = 1
    n30 = n30 << 30
    c = p[2]
    oh = p[3]
    ow = p[4]
    n_oc = p[5]
    kh = p[6]
    run = p[7] * c  # w[o,ky,:,:] and one input row of the window: kw*c contiguous bytes
    row = p[1] * c
    ystep = p[8] * row
    xstep = p[9] * c
    zp = (p[10] ^ s31) - s31
    lo = (p[11] ^ s31) - s31
    hi = (p[12] ^ s31) - s31
    run4 = run & ~3
    oi = 0
    for oy in range(oh):
        for ox in range(ow):
            base = oy * ystep + ox * xstep
            wi = 0
            for o in range(n_oc):
                acc = (bias[o] ^ s31) - s31
                xr = base
                for ky in range(kh):
                    k = 0
                    while k < run4:
                        acc += ((x[xr + k] ^ 0x80) - 0x80) * ((w[wi] ^ 0x80) - 0x80)
                        acc += ((x[xr + k + 1] ^ 0x80) - 0x80) * ((w[wi + 1] ^ 0x80) - 0x80)
                        acc += ((x[xr + k + 2] ^ 0x80) - 0x80) * ((w[wi + 2] ^ 0x80) - 0x80)
                        acc += ((x[xr + k + 3] ^ 0x80) - 0x80) * ((w[wi + 3] ^ 0x80) - 0x80)
                        k += 4
                        wi += 4
                    while k < run:
                        acc += ((x[xr + k] ^ 0x80) - 0x80) * ((w[wi] ^ 0x80) - 0x80)
                        k += 1
                        wi += 1
                    xr += row
                m = mult[o]
                s = (shift[o] ^ s31) - s31
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
def dwconv(x: ptr8, w: ptr8, bias: ptr32, mult: ptr32, shift: ptr32, out: ptr8, p: ptr32):
    # p = [ph, pw, c, oh, ow, m, kh, kw, sh, sw, out_zp, act_min, act_max];
    # w is (kh, kw, c*m); output channel o = ic*m + j reads input channel ic.
    s31 = 1
    s31 = s31 << 31
    n30 = 1
    n30 = n30 << 30
    c = p[2]
    oh = p[3]
    ow = p[4]
    dm = p[5]
    kh = p[6]
    kw = p[7]
    cm = c * dm
    row = p[1] * c
    ystep = p[8] * row
    xstep = p[9] * c
    zp = (p[10] ^ s31) - s31
    lo = (p[11] ^ s31) - s31
    hi = (p[12] ^ s31) - s31
    oi = 0
    for oy in range(oh):
        for ox in range(ow):
            base = oy * ystep + ox * xstep
            o = 0
            for ic in range(c):
                for j in range(dm):
                    acc = (bias[o] ^ s31) - s31
                    xr = base + ic
                    wr = o
                    for ky in range(kh):
                        xi = xr
                        wi = wr
                        for kx in range(kw):
                            acc += ((x[xi] ^ 0x80) - 0x80) * ((w[wi] ^ 0x80) - 0x80)
                            xi += c
                            wi += cm
                        xr += row
                        wr += kw * cm
                    m = mult[o]
                    s = (shift[o] ^ s31) - s31
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
                    o += 1
