# Viper kernels without MACs: padding, pooling, global mean and ADD.
# Same conventions as kernels_viper.py: int8 in bytes, ptr32 fields
# sign-extended with s31, the requantize block copied verbatim from there.
import micropython
from array import array
from micropython import const

_D = const(0x7FFF)  # one base-2**15 digit
_SUMS = array("i", bytes(16))  # avgpool: 4 channels' sums


@micropython.viper
def pad(x: ptr8, out: ptr8, p: ptr32):
    # p = [h, w, c, top, left, ph, pw, fill]: out (ph, pw, c) = fill, x at (top, left).
    # Word stores and copies where buffers, rows and the offset are 4-aligned (a
    # depthwise layer's pad: 3.6x fewer m0 instructions than byte by byte).
    h = p[0]
    c = p[2]
    rowx = p[1] * c
    rowo = p[6] * c
    f = p[7] & 0xFF
    n = p[5] * rowo
    d = p[3] * rowo + p[4] * c
    s = 0
    if ((int(x) | int(out) | rowx | rowo | d) & 3) == 0:
        f = f | (f << 8)
        f = f | (f << 16)
        o32 = ptr32(out)
        x32 = ptr32(x)
        n = n >> 2
        for i in range(n):
            o32[i] = f
        d = d >> 2
        rowx = rowx >> 2
        rowo = rowo >> 2
        for y in range(h):
            for k in range(rowx):
                o32[d + k] = x32[s + k]
            d += rowo
            s += rowx
        return
    for i in range(n):
        out[i] = f
    for y in range(h):
        for k in range(rowx):
            out[d + k] = x[s + k]
        d += rowo
        s += rowx


@micropython.viper
def pad_inplace(x: ptr8, out: ptr8, p: ptr32):
    # pad's result where out starts at x's first byte and x is not read after: rows move
    # last first (each to a higher address, its bytes last first), then the border is
    # filled; words where rows and the offset are 4-aligned
    h = p[0]
    c = p[2]
    rowx = p[1] * c
    rowo = p[6] * c
    lb = p[4] * c  # left border bytes
    rb = rowo - rowx - lb
    f = p[7] & 0xFF
    top = p[3] * rowo
    end = p[5] * rowo
    w = 1
    if ((int(out) | rowx | rowo | lb) & 3) == 0:
        w = 4
        f = f | (f << 8)
        f = f | (f << 16)
    o32 = ptr32(out)
    y = h - 1
    while y >= 0:  # rows, last first
        s = y * rowx
        d = top + y * rowo + lb
        k = rowx - w
        if w == 4:
            s = s >> 2
            d = d >> 2
            k = k >> 2
            while k >= 0:
                o32[d + k] = o32[s + k]
                k -= 1
        else:
            while k >= 0:
                out[d + k] = out[s + k]
                k -= 1
        y -= 1
    # the border in h + 1 runs: the rows above and row 0's left; then from each row's right
    # to the next row's left (after the last row: to the end)
    for y in range(h + 1):
        if y == 0:
            i = 0
            e = top + lb
        else:
            i = top + (y - 1) * rowo + lb + rowx
            e = i + rb + lb if y < h else end
        if w == 4:
            i = i >> 2
            e = e >> 2
            while i < e:
                o32[i] = f
                i += 1
        else:
            while i < e:
                out[i] = f
                i += 1


@micropython.viper
def avgpool(x: ptr8, out: ptr8, p: ptr32):
    # p = [h, w, c, oh, ow, fh, fw, sh, sw, pad_top, pad_left, act_min, act_max];
    # TFLM: average of the in-image cells, rounded half away from zero.
    s31 = 1
    s31 = s31 << 31
    h = p[0]
    w = p[1]
    c = p[2]
    lo = (p[11] ^ s31) - s31
    hi = (p[12] ^ s31) - s31
    # channels 4 at a time where c % 4 == 0 and x is 4-aligned (any word size: the
    # sums stay inside 32 bits)
    wordy = ((int(x) | c) & 3) == 0
    x32 = ptr32(x)
    k80 = 0x808080
    k80 = k80 | (k80 << 8)  # 0x80808080, made at run time (a literal would be an object)
    m16 = 0xFF | (0xFF << 16)
    sums = ptr32(_SUMS)
    oi = 0
    for oy in range(p[3]):
        y0 = oy * p[7] - p[9]
        y1 = y0 + p[5]
        if y0 < 0:
            y0 = 0
        if y1 > h:
            y1 = h
        for ox in range(p[4]):
            x0 = ox * p[8] - p[10]
            x1 = x0 + p[6]
            if x0 < 0:
                x0 = 0
            if x1 > w:
                x1 = w
            cnt = (y1 - y0) * (x1 - x0)
            half = cnt >> 1
            if wordy and cnt <= 257:
                # 4 channels a word: offset-binary bytes (x ^ 0x80, 0..255) summed in
                # 16-bit lanes, even and odd bytes apart (255 * 257 < 2**16)
                c4 = c >> 2
                for g in range(c4):
                    ev = 0
                    od = 0
                    for y in range(y0, y1):
                        i = (y * w + x0) * c4 + g
                        for xx in range(x0, x1):
                            u = x32[i] ^ k80
                            ev += u & m16
                            od += (u >> 8) & m16
                            i += c4
                    sums[0] = (ev & 0xFFFF) - (cnt << 7)
                    sums[1] = (od & 0xFFFF) - (cnt << 7)
                    sums[2] = ((ev >> 16) & 0xFFFF) - (cnt << 7)
                    sums[3] = ((od >> 16) & 0xFFFF) - (cnt << 7)
                    for ch in range(4):
                        acc = (sums[ch] ^ s31) - s31
                        if acc > 0:
                            v = (acc + half) // cnt
                        else:
                            v = 0 - (half - acc) // cnt
                        if v < lo:
                            v = lo
                        if v > hi:
                            v = hi
                        out[oi] = v & 0xFF
                        oi += 1
                continue
            for ch in range(c):
                acc = 0
                for y in range(y0, y1):
                    i = (y * w + x0) * c + ch
                    for xx in range(x0, x1):
                        acc += (x[i] ^ 0x80) - 0x80
                        i += c
                # C's truncating division of (acc +- half) / cnt, on magnitudes
                if acc > 0:
                    v = (acc + half) // cnt
                else:
                    v = 0 - (half - acc) // cnt
                if v < lo:
                    v = lo
                if v > hi:
                    v = hi
                out[oi] = v & 0xFF
                oi += 1


@micropython.viper
def maxpool(x: ptr8, out: ptr8, p: ptr32):
    # p as avgpool; max over the in-image cells, then the activation clamp.
    s31 = 1
    s31 = s31 << 31
    h = p[0]
    w = p[1]
    c = p[2]
    lo = (p[11] ^ s31) - s31
    hi = (p[12] ^ s31) - s31
    # channels 4 at a time where c % 4 == 0 and x is 4-aligned (any word size: the
    # sums stay inside 32 bits)
    wordy = ((int(x) | c) & 3) == 0
    x32 = ptr32(x)
    k80 = 0x808080
    k80 = k80 | (k80 << 8)  # 0x80808080, made at run time (a literal would be an object)
    m16 = 0xFF | (0xFF << 16)
    sums = ptr32(_SUMS)
    oi = 0
    for oy in range(p[3]):
        y0 = oy * p[7] - p[9]
        y1 = y0 + p[5]
        if y0 < 0:
            y0 = 0
        if y1 > h:
            y1 = h
        for ox in range(p[4]):
            x0 = ox * p[8] - p[10]
            x1 = x0 + p[6]
            if x0 < 0:
                x0 = 0
            if x1 > w:
                x1 = w
            for ch in range(c):
                v = -128
                for y in range(y0, y1):
                    i = (y * w + x0) * c + ch
                    for xx in range(x0, x1):
                        e = (x[i] ^ 0x80) - 0x80
                        if e > v:
                            v = e
                        i += c
                if v < lo:
                    v = lo
                if v > hi:
                    v = hi
                out[oi] = v & 0xFF
                oi += 1


@micropython.viper
def mean(x: ptr8, out: ptr8, p: ptr32):
    # p = [hw, c, in_zp, out_zp, mult, shift]; mult/shift already fold 1/hw
    # (TFLM reference_integer_ops::Mean), output clamped to int8 only.
    s31 = 1
    s31 = s31 << 31
    n30 = 1
    n30 = n30 << 30
    hw = p[0]
    c = p[1]
    in_zp = (p[2] ^ s31) - s31
    zp = (p[3] ^ s31) - s31
    m = p[4]
    s = (p[5] ^ s31) - s31
    for ch in range(c):
        acc = 0 - hw * in_zp
        i = ch
        for k in range(hw):
            acc += (x[i] ^ 0x80) - 0x80
            i += c
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
        if v < -128:
            v = -128
        if v > 127:
            v = 127
        out[ch] = v & 0xFF


@micropython.viper
def add(x1: ptr8, x2: ptr8, out: ptr8, p: ptr32):
    # p = [n, in1_offset, in2_offset, left_shift, m1, s1, m2, s2, mo, so,
    #      out_zp, act_min, act_max] (offset = -zp): TFLite int8 ADD.
    s31 = 1
    s31 = s31 << 31
    n30 = 1
    n30 = n30 << 30
    off1 = (p[1] ^ s31) - s31
    off2 = (p[2] ^ s31) - s31
    ls = p[3]
    zp = (p[10] ^ s31) - s31
    lo = (p[11] ^ s31) - s31
    hi = (p[12] ^ s31) - s31
    for n in range(p[0]):
        b = (((x2[n] ^ 0x80) - 0x80) + off2) << ls
        acc = (((x1[n] ^ 0x80) - 0x80) + off1) << ls
        sa = 0
        # three requantizations share one copy of the block: input 1, input 2,
        # then their sum (which fits int32 for left_shift 20) to the output scale
        for stage in range(3):
            q = 4 + 2 * stage
            m = p[q]
            s = (p[q + 1] ^ s31) - s31
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
            if stage == 0:
                sa = v
                acc = b
            elif stage == 1:
                acc = sa + v
        v += zp
        if v < lo:
            v = lo
        if v > hi:
            v = hi
        out[n] = v & 0xFF
