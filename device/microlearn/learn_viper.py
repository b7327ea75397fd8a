# The Learner's hot loops in viper, exact on 32-bit words and allocation-free.
# Twins: learn_py.py (same signatures, p layouts documented there);
# tests/device/check_learn_viper.py compares the two.
# All products stay below 2**31 (|g * LR| < 2**21, |xc| <= 510; the Learner
# checks LR and LRB), so 32-bit wrap never happens. 64-bit builds zero-extend
# ptr32 loads: signed words are sign-extended with (v ^ s31) - s31.
# v1.26.1 Thumb bug (FACTS.md): a ptr32 indexed with a local that lives in a
# register is corrupted; on armv6m only the first two locals (here pointer
# arguments) live in registers, so no index variable ever does.
import micropython


@micropython.viper
def update(xc: ptr32, wm: ptr32, w8: ptr8, q: ptr8, bm: ptr32, bias: ptr32, mz: ptr32, p: ptr32):
    s31 = 1
    s31 = s31 << 31
    d = p[0]
    n = p[1]
    y = p[2]
    lr = p[3]
    ls = p[4]
    lrb = p[5]
    lbs = p[6]
    wl = p[7]
    bl = p[8]
    half = 1 << (ls - 1)
    hb = 1 << (lbs - 1)
    k = 0
    while k < n:
        g = ((q[k] ^ 0x80) - 0x80) + 128
        if k == y:
            g -= 256
        if g != 0:
            gl = g * lr
            i = k * d
            end = i + d
            j = 0
            fs = 0
            while i < end:
                m = (mz[j] ^ s31) - s31
                v = ((wm[i] ^ s31) - s31) - ((gl * ((xc[j] ^ s31) - s31) + half) >> ls)
                if v > wl:
                    v = wl
                elif v < 0 - wl:
                    v = 0 - wl
                wm[i] = v
                w = (v + 128) >> 8  # in -127..127: |v| <= wl <= 127 * 256
                w8[i] = w & 0xFF
                fs += w * m
                i += 1
                j += 1
            b = ((bm[k] ^ s31) - s31) - ((g * lrb + hb) >> lbs)
            if b > bl:
                b = bl
            elif b < 0 - bl:
                b = 0 - bl
            bm[k] = b
            bias[k] = ((b + 128) >> 8) - fs
        k += 1


@micropython.viper
def recentre(w8: ptr8, dmu: ptr32, bm: ptr32, bias: ptr32, mz: ptr32, p: ptr32):
    s31 = 1
    s31 = s31 << 31
    d = p[0]
    n = p[1]
    bl = p[2]
    bt = bl >> 8
    k = 0
    i = 0
    while k < n:
        s = 0
        fs = 0
        j = 0
        while j < d:
            w = (w8[i] ^ 0x80) - 0x80
            s += w * ((dmu[j] ^ s31) - s31)
            fs += w * ((mz[j] ^ s31) - s31)
            i += 1
            j += 1
        b = (bm[k] ^ s31) - s31
        if s > 2 * bt:
            s = 2 * bt
        elif s < 0 - 2 * bt:
            s = 0 - 2 * bt
        t = (b >> 8) + s
        if t > bt:
            b = bl
        elif t < 0 - bt - 1:
            b = 0 - bl
        else:
            b += s << 8
            if b > bl:
                b = bl
            elif b < 0 - bl:
                b = 0 - bl
        bm[k] = b
        bias[k] = ((b + 128) >> 8) - fs
        k += 1


@micropython.viper
def centre(e: ptr8, ms: ptr32, dmu: ptr32, mz: ptr32, d: int, zp: int, cnt: int) -> int:
    s31 = 1
    s31 = s31 << 31
    moved = 0
    j = 0
    while j < d:
        s = ((ms[j] ^ s31) - s31) + ((e[j] ^ 0x80) - 0x80) - zp
        ms[j] = s
        if s >= 0:
            m = s // cnt
        else:
            m = 0 - ((cnt - 1 - s) // cnt)
        t = m + zp - ((mz[j] ^ s31) - s31)
        dmu[j] = t
        moved |= t
        mz[j] = zp + m
        j += 1
    return moved


@micropython.viper
def copy8(dst: ptr8, src: ptr8, doff: int, soff: int, n: int):
    i = 0
    while i < n:
        dst[doff + i] = src[soff + i]
        i += 1


@micropython.viper
def rate(e: ptr8, mz: ptr32, pu: ptr32, pw: ptr32, xc: ptr32) -> int:
    s31 = 1
    s31 = s31 << 31
    d = pu[0]
    n = 0
    j = 0
    while j < d:
        v = ((e[j] ^ 0x80) - 0x80) - ((mz[j] ^ s31) - s31)
        xc[j] = v
        n += v * v
        j += 1
    if n == 0:
        return 0
    b = 0
    while n >= 32768:
        n = n >> 1
        b += 1
    while n < 16384:
        n = n << 1
        b -= 1
    w = (pw[0] ^ s31) - s31
    lr = (w << 11) // n
    ls = 11 + b - ((pw[1] ^ s31) - s31)
    while ls < 1 and lr < 2048:
        lr = lr << 1
        ls += 1
    if ls < 1:
        ls = 1
    while ls > 30:
        lr = lr >> 1
        ls -= 1
    pu[3] = lr
    pu[4] = ls
    return 1
