# Float input -> int8 model input in viper, without a single float object:
# q = clamp(round((x - mean) / std / scale) + zp), each operation rounded to
# float32 exactly as IEEE 754 (and numpy's float32, the host reference) does,
# then std::round (half away from zero) as TFLite's QUANTIZE. The float32
# arithmetic is done on the bit patterns in machine-word integers, so a call
# allocates nothing (on most ports every float op would box a new object).
# Numbers are (sign, exponent e, 24-bit mantissa M): value M * 2**(e - 23),
# M == 0 for zero, e >= _INF for infinity. Exact results are formed with 3
# extra bits (guard, round and a sticky bit ORed into the last), then rounded
# to nearest even, subnormals included. Values never exceed 2**28, so the code
# is the same on 32- and 64-bit words. Only ptr8 is indexed (see FACTS: ptr16/
# ptr32 indexing with a register local is miscompiled on Thumb in v1.26.1).
# The plain twin is quantize.py; tests/host/test_quantize_input.py checks both.
import micropython
from micropython import const

_H = const(0x800000)  # hidden bit: a normal mantissa is in [_H, 2 * _H)
_R = const(0x4000000)  # _H << 3: exact results carry 3 extra bits
_INF = const(200)


@micropython.viper
def quantize(x: ptr8, wide: int, n: int, norm: ptr8, c: int, sc: ptr8, out: ptr8, zp: int) -> int:
    """out[i] = int8 of float x[i] (float32, or float64 if wide), channel i % c with
    mean norm[0:4c], std norm[4c:8c], scale sc[0:4]. Returns -1, or the index of the
    first NaN or infinity (out is then incomplete)."""
    ch = 0
    i = 0
    while i < n:
        # -- decode x[i] into (s, e, m) --
        if wide:
            j = 8 * i
            b = x[j + 7]
            s = b >> 7
            ex = ((b & 0x7F) << 4) | (x[j + 6] >> 4)
            if ex == 0x7FF:
                return i
            e = ex - 1023
            # 1 + top 26 of the 52 fraction bits, the other 26 as sticky
            r = _R | ((x[j + 6] & 0xF) << 22) | (x[j + 5] << 14) | (x[j + 4] << 6) | (x[j + 3] >> 2)
            if (x[j + 3] & 3) | x[j + 2] | x[j + 1] | x[j]:
                r |= 1
            m = 0
            if ex != 0:  # a float64 subnormal is far below float32's: 0
                # -- round r (value r * 2**(e - 26)) to float32 (s, e, m) --
                if e < -126:
                    k = -126 - e
                    if k > 27:
                        r = 1
                    else:
                        t = r & ((1 << k) - 1)
                        r = r >> k
                        if t:
                            r |= 1
                    e = -126
                m = r >> 3
                t = r & 7
                if t > 4 or (t == 4 and (m & 1)):
                    m += 1
                if m >= 2 * _H:
                    m = m >> 1
                    e += 1
                if e > 127:
                    e = _INF
                    m = _H
                if m:
                    while m < _H:
                        m = m << 1
                        e -= 1
        else:
            j = 4 * i
            b = x[j + 3]
            s = b >> 7
            ex = ((b & 0x7F) << 1) | (x[j + 2] >> 7)
            if ex == 0xFF:
                return i
            m = ((x[j + 2] & 0x7F) << 16) | (x[j + 1] << 8) | x[j]
            e = ex - 127
            if ex:
                m |= _H
            elif m:
                e = -126
                while m < _H:
                    m = m << 1
                    e -= 1
        # three steps: x - mean, / std, / scale
        step = 0
        while step < 3:
            # -- decode the operand b = (bs, be, bm) --
            if step == 0:
                j = 4 * ch
            elif step == 1:
                j = 4 * (ch + c)
            if step == 2:
                bs = sc[3] >> 7
                bex = ((sc[3] & 0x7F) << 1) | (sc[2] >> 7)
                bm = ((sc[2] & 0x7F) << 16) | (sc[1] << 8) | sc[0]
            else:
                bs = norm[j + 3] >> 7
                bex = ((norm[j + 3] & 0x7F) << 1) | (norm[j + 2] >> 7)
                bm = ((norm[j + 2] & 0x7F) << 16) | (norm[j + 1] << 8) | norm[j]
            be = bex - 127
            if bex:
                bm |= _H
            elif bm:
                be = -126
                while bm < _H:
                    bm = bm << 1
                    be -= 1
            step += 1
            if step == 1:
                bs ^= 1  # x - mean == x + (-mean)
                if bm == 0:
                    continue
                if m == 0:
                    s = bs
                    e = be
                    m = bm
                    continue
                if e >= _INF:
                    continue
                # -- exact sum (s, e, r) with 3 extra bits, |a| >= |b| --
                if be > e or (be == e and bm > m):
                    t = s
                    s = bs
                    bs = t
                    t = e
                    e = be
                    be = t
                    t = m
                    m = bm
                    bm = t
                r = m << 3
                t = bm << 3
                k = e - be
                if k > 27:
                    t = 1
                elif k > 0:
                    u = t & ((1 << k) - 1)
                    t = t >> k
                    if u:
                        t |= 1
                if s == bs:
                    r += t
                else:
                    r -= t
                if r == 0:
                    m = 0
                    continue
                if r >= 2 * _R:
                    t = r & 1
                    r = (r >> 1) | t
                    e += 1
                while r < _R:
                    r = r << 1
                    e -= 1
            else:
                # -- exact quotient (s, e, r): 27 bits and a sticky bit --
                s ^= bs
                if m == 0 or e >= _INF:
                    continue
                e = e - be
                u = m
                if u < bm:
                    u = u << 1
                    e -= 1
                r = 0
                k = 0
                while k < 27:
                    r = r << 1
                    if u >= bm:
                        u -= bm
                        r |= 1
                    u = u << 1
                    k += 1
                if u:
                    r |= 1
            # -- round r (value r * 2**(e - 26)) to float32 (s, e, m) --
            if e < -126:
                k = -126 - e
                if k > 27:
                    r = 1
                else:
                    t = r & ((1 << k) - 1)
                    r = r >> k
                    if t:
                        r |= 1
                e = -126
            m = r >> 3
            t = r & 7
            if t > 4 or (t == 4 and (m & 1)):
                m += 1
            if m >= 2 * _H:
                m = m >> 1
                e += 1
            if e > 127:
                e = _INF
                m = _H
            if m:
                while m < _H:
                    m = m << 1
                    e -= 1
        # -- std::round (half away from zero), + zp, saturate --
        v = 0
        if m == 0 or e < -1:
            v = 0
        elif e >= 8:
            v = 256
        else:
            k = 23 - e
            v = m >> k
            if (m >> (k - 1)) & 1:
                v += 1
        if s:
            v = 0 - v
        v += zp
        if v < -128:
            v = -128
        if v > 127:
            v = 127
        out[i] = v & 0xFF
        ch += 1
        if ch == c:
            ch = 0
        i += 1
    return -1
