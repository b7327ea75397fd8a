# Plain-Python twins of learn_viper.py (same signatures, same results): the
# reference the viper loops are tested against and the fallback where the
# native emitter is missing. learner.py picks one set, as kernels.py does.
# e: int8 embedding bytes; mz: array('i') of D, zp_e + mu (the embedding zero point
# plus the running mean of the inputs): the head sees xc = s8(e) - mz.
# p of update() = [D, n, y, LR, LS, LRB, LBS, WLIM, BLIM]: n classes, y the true
# class, LR/LS and LRB/LBS the weight and bias learning rates (rate / 2**shift),
# WLIM and BLIM the clamps of the Q8 master weights (at most 127 * 256: then w8 needs
# no clamp of its own) and biases.
# p of recentre() = [D, n, BLIM].


def update(xc, wm, w8, q, bm, bias, mz, p):
    """One SGD step of softmax cross-entropy on the centred embedding xc (as rate() leaves
    it) with true class y, given q
    (int8 probabilities of the n classes): per class k, g = p256[k] - 256 [k == y];
    wm[k] -= round(g * xc * LR / 2**LS), clamped; bm[k] likewise; w8 and the kernel bias
    (true bias minus w8 . mz, folded as the FC kernel expects) refreshed."""
    d = p[0]
    lr = p[3]
    ls = p[4]
    lrb = p[5]
    lbs = p[6]
    wl = p[7]
    bl = p[8]
    half = 1 << (ls - 1)
    hb = 1 << (lbs - 1)
    for k in range(p[1]):
        g = ((q[k] ^ 0x80) - 0x80) + 128
        if k == p[2]:
            g -= 256
        if g == 0:  # nothing moves: the row stays as it is
            continue
        gl = g * lr
        base = k * d
        fs = 0
        for j in range(d):
            v = wm[base + j] - ((gl * xc[j] + half) >> ls)
            if v > wl:
                v = wl
            elif v < -wl:
                v = -wl
            wm[base + j] = v
            w = (v + 128) >> 8  # in -127..127 as WLIM <= 127 * 256
            w8[base + j] = w & 0xFF
            fs += w * mz[j]
        b = bm[k] - ((g * lrb + hb) >> lbs)
        if b > bl:
            b = bl
        elif b < -bl:
            b = -bl
        bm[k] = b
        bias[k] = ((b + 128) >> 8) - fs


def recentre(w8, dmu, bm, bias, mz, p):
    """The mean mu moved by dmu: bm[k] += (w8[k] . dmu) << 8 (clamped to +-BLIM), so that
    no logit changes; the kernel bias refolded with the new mz."""
    d = p[0]
    bl = p[2]
    bt = bl >> 8
    for k in range(p[1]):
        base = k * d
        s = 0
        fs = 0
        for j in range(d):
            w = (w8[base + j] ^ 0x80) - 0x80
            s += w * dmu[j]
            fs += w * mz[j]
        b = bm[k]
        if s > 2 * bt:  # beyond any bias: clamps either way (and s << 8 fits int32)
            s = 2 * bt
        elif s < -2 * bt:
            s = -2 * bt
        t = (b >> 8) + s
        if t > bt:
            b = bl
        elif t < -bt - 1:
            b = -bl
        else:
            b += s << 8
            if b > bl:
                b = bl
            elif b < -bl:
                b = -bl
        bm[k] = b
        bias[k] = ((b + 128) >> 8) - fs


def centre(e, ms, dmu, mz, d, zp, cnt):
    """Add e to the sums ms of the inputs' xe = s8(e) - zp (cnt of them with e); mz = zp + mu
    with mu = floor(ms / cnt), dmu its move. Returns nonzero if mu moved."""
    moved = 0
    for j in range(d):
        s = ms[j] + ((e[j] ^ 0x80) - 0x80) - zp
        ms[j] = s
        m = s // cnt
        t = m + zp - mz[j]
        dmu[j] = t
        moved |= t
        mz[j] = zp + m
    return moved


def copy8(dst, src, doff, soff, n):
    """dst[doff:doff + n] = src[soff:soff + n], bytes, without a slice object."""
    for i in range(n):
        dst[doff + i] = src[soff + i]


def rate(e, mz, pu, pw, xc):
    """The step's centred input xc = s8(e) - mz (into xc) and learning rate: with
    n2 = sum of xc**2 (< 2**30 for D <= 4096), writes
    pu[3], pu[4] = lr, ls with lr / 2**ls ~ W * 2**we / n2 (pw = [W, we]), ls in 1..30;
    returns 0 (nothing written) when n2 is 0, else 1. Small ints only."""
    n = 0
    for j in range(pu[0]):
        v = ((e[j] ^ 0x80) - 0x80) - mz[j]
        xc[j] = v
        n += v * v

    if n == 0:
        return 0
    b = 0  # n2 ~ n * 2**b, 2**14 <= n < 2**15
    while n >= 32768:
        n >>= 1
        b += 1
    while n < 16384:
        n <<= 1
        b -= 1
    lr = (pw[0] << 11) // n
    ls = 11 + b - pw[1]
    while ls < 1 and lr < 2048:
        lr <<= 1
        ls += 1
    if ls < 1:
        ls = 1
    while ls > 30:
        lr >>= 1
        ls -= 1
    pu[3] = lr
    pu[4] = ls
    return 1
