# Plain-Python twins of learn_viper.py (same signatures, same results): the
# reference the viper loops are tested against and the fallback where the
# native emitter is missing. learner.py picks one set, as kernels.py does.
# p of update() = [D, n, y, zp_e, LR, LS, LRB, LBS, WLIM, BLIM]:
#   D embedding bytes, n classes, y the true class, zp_e the embedding's zero
#   point, LR/LS and LRB/LBS the weight and bias learning rates (rate / 2**shift),
#   WLIM the clamp of the Q8 master weights (127 * 256), BLIM of the Q8 master biases.


def update(e, wm, w8, q, bm, bias, p):
    """One SGD step of softmax cross-entropy on embedding e (int8 bytes) with true
    class y, given q (int8 probabilities of the n classes): per class k, g = p256[k] -
    256 [k == y]; wm[k] -= round(g * xe * LR / 2**LS), clamped; w8 and the kernel bias
    (bm in Q8 minus zp_e * row sum of w8, as the FC kernel folds it) refreshed."""
    d, n, y, zp, lr, ls, lrb, lbs, wl, bl = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], \
        p[8], p[9]
    half = 1 << (ls - 1)
    hb = 1 << (lbs - 1)
    for k in range(n):
        g = ((q[k] ^ 0x80) - 0x80) + 128
        if k == y:
            g -= 256
        if g == 0:  # nothing moves: the row stays as it is
            continue
        gl = g * lr
        base = k * d
        rs = 0
        for j in range(d):
            xe = ((e[j] ^ 0x80) - 0x80) - zp
            v = wm[base + j] - ((gl * xe + half) >> ls)
            if v > wl:
                v = wl
            elif v < -wl:
                v = -wl
            wm[base + j] = v
            w = (v + 128) >> 8
            if w > 127:
                w = 127
            elif w < -127:
                w = -127
            w8[base + j] = w & 0xFF
            rs += w
        b = bm[k] - ((g * lrb + hb) >> lbs)
        if b > bl:
            b = bl
        elif b < -bl:
            b = -bl
        bm[k] = b
        bias[k] = ((b + 128) >> 8) - zp * rs


def copy8(dst, src, doff, soff, n):
    """dst[doff:doff + n] = src[soff:soff + n], bytes, without a slice object."""
    for i in range(n):
        dst[doff + i] = src[soff + i]
