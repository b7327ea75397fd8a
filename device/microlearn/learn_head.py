# The Learner's state outside the hot path (learner.py keeps the API and the learning
# loop): the base model's last layer as the start, a new class's imprint, and the round
# trip through the state file (state.py). All of it may allocate; learn() and predict()
# call none of it for a class they know.
from array import array
from micropython import const

SEED = const(0x2545F491)  # xorshift32 start (nonzero)
_GAMMA = const(2)  # the bias takes 2/16 of a step's change of the logits, the weights the rest
_META = const(14)


def _s8(v):
    return (v ^ 0x80) - 0x80


def _norm(v, bits):
    """(m, s): v ~ m * 2**s with 2**(bits-1) <= m < 2**bits, for v > 0."""
    s = 0
    while v >= 1 << bits:
        v >>= 1
        s += 1
    while v < 1 << (bits - 1):
        v <<= 1
        s -= 1
    return v, s


def rates(ms, es, mult, shift, eta):
    """(W, we, lr_bias, lr_bias_shift): the step constants from the logits' scale
    ms * 2**es, the new rows' requantization (mult, shift) and eta (1/16 nats). A step
    on an embedding of squared norm n2 changes wm by g * xc * W * 2**we / n2."""
    p = (ms >> 9) * (mult >> 16)  # ~ ms * mult / 2**25, in [2**28, 2**30)
    am = (1 << 29) // (p >> 14)  # ~ 2**43 / p
    e = -41 - shift - es  # the change of acc per unit of g/256 is eta * am * 2**e
    w, a = _norm((16 - _GAMMA) * eta * am, 15)
    b, bs = _norm(_GAMMA * eta * am, 12)
    ls = 4 - e - bs
    while ls < 1 and b < 4096:
        b <<= 1
        ls += 1
    if ls < 1:
        ls = 1
    while ls > 30:
        b >>= 1
        ls -= 1
    return w, e - 4 + a, b, ls


def ints(src, n):
    """n int32 values of a kernel table: an array('i') or a raw little-endian view."""
    if isinstance(src, array):
        return array("i", src[:n])
    return array("i", bytes(src[:4 * n]))


def reset(lrn):
    """The base model's last layer exactly, nothing learned."""
    w, b, m, s, nb = lrn._base
    d, zp = lrn.D, lrn._zp
    for a in (lrn.wm, lrn.bias, lrn.bm, lrn.mult, lrn.shift, lrn.fill, lrn.seen):
        for i in range(len(a)):
            a[i] = 0
    for i in range(len(lrn.w8)):
        lrn.w8[i] = 0
    lrn.w8[:nb * d] = w
    for c in range(nb):
        rs = 0
        for j in range(c * d, c * d + d):
            v = _s8(lrn.w8[j])
            lrn.wm[j] = v << 8
            rs += v
        bt = b[c] + zp * rs  # the file's bias has -zp * row sum folded in
        if not -lrn._bl <= bt <= lrn._bl:
            raise ValueError("class %d's bias %d is beyond the Learner's limit %d"
                             % (c, bt, lrn._bl))
        lrn.bm[c] = bt << 8
        lrn.bias[c] = b[c]
        lrn.mult[c], lrn.shift[c] = m[c], s[c]
    for j in range(d):
        lrn.mu_sum[j] = lrn._dmu[j] = 0
        lrn._mz[j] = zp
    names = lrn.model.class_names
    lrn.names = [names[c] if c < len(names) else str(c) for c in range(nb)]
    lrn.steps = lrn.updates = lrn._rr = lrn.count = 0
    lrn._rh, lrn._rl = SEED >> 16, SEED & 0xFFFF
    lrn._resize()


def imprint(lrn, label):
    """Add class n for embedding lrn._e: a zero row, and the bias that puts its logit on
    the example halfway between the mean and the best of the other classes' logits (the
    output zero point when there are none); learn()'s SGD steps then grow the row."""
    n, d, e = len(lrn.names), lrn.D, lrn._e
    w8, p = lrn.w8, lrn._pfc
    for j in range(n * d, n * d + d):
        w8[j] = 0
        lrn.wm[j] = 0
    target = p[2]
    if n:
        lrn._fc(e, w8, lrn.bias, lrn.mult, lrn.shift, lrn._lg, p)
        mx, t = -128, 0
        for c in range(n):
            v = _s8(lrn._lg[c])
            mx = max(mx, v)
            t += v
        target = (mx + t // n) // 2
    lrn.mult[n], lrn.shift[n] = lrn._new
    one = array("i", [d, 1, p[2], p[3], p[4]])
    vw = memoryview(w8)[n * d:n * d + d]
    vb, vm, vs = (memoryview(a)[n:n + 1] for a in (lrn.bias, lrn.mult, lrn.shift))
    out = bytearray(1)
    lo, hi = -lrn._bl, lrn._bl
    while lo < hi:
        mid = (lo + hi) >> 1
        lrn.bias[n] = mid
        lrn._fc(e, vw, vb, vm, vs, out, one)
        if _s8(out[0]) >= target:
            hi = mid
        else:
            lo = mid + 1
    lrn.bm[n] = lo << 8
    lrn.bias[n] = lo
    lrn.fill[n] = lrn.seen[n] = 0
    lrn.names.append(label)
    lrn._resize()
    return n


def sections(lrn):
    """(meta ints, sections) of the state file, in the order docs/format.md gives."""
    meta = (lrn.D, lrn.max_classes, lrn.slots, len(lrn.names), lrn.steps, lrn.updates,
            (lrn._rh << 16) | lrn._rl, lrn._rr, lrn.replay, lrn.eta, _GAMMA,
            lrn._pu[5], lrn._pu[6], lrn.count)  # the bias step (lr_bias, its shift)
    return meta, [lrn.names, lrn.wm, lrn.bm, lrn.mult, lrn.shift, lrn.fill, lrn.seen,
                  lrn.buffer, lrn.mu_sum]


def ident(lrn):
    from .state import model_ident  # state.py only where a path is given: code is heap
    return model_ident(lrn.model._buf)


def save(lrn):
    from .state import save as put
    meta, secs = sections(lrn)
    put(lrn.path, ident(lrn), meta, secs)


def restore(lrn):
    """Load `path` into the buffers (state.load checks it whole first); the derived w8,
    kernel bias and mean follow from the saved masters."""
    from .state import load
    meta, into = sections(lrn)
    into[0] = []
    got = load(lrn.path, ident(lrn), _META, into)
    if got is None:
        return
    n = got[3]
    want = (lrn.D, lrn.max_classes, lrn.slots)
    if tuple(got[:3]) != want or not 0 <= n <= lrn.max_classes or len(into[0]) != n:
        print("warning: state file %s was written for embedding/max_classes/slots %r, this "
              "Learner has %r; the base model runs" % (lrn.path, tuple(got[:3]), want))
        reset(lrn)
        return
    lrn.names = into[0]
    lrn.steps, lrn.updates, lrn._rr = got[4], got[5], got[7]
    r = got[6] & 0xFFFFFFFF
    lrn._rh, lrn._rl = r >> 16, r & 0xFFFF
    lrn.count = got[13]
    d, zp = lrn.D, lrn._zp
    for j in range(d):
        lrn._mz[j] = zp + (lrn.mu_sum[j] // lrn.count if lrn.count else 0)
    for c in range(lrn.max_classes):  # w8 and the kernel bias follow from the masters
        fs = 0
        for j in range(d):
            v = (lrn.wm[c * d + j] + 128) >> 8
            v = 127 if v > 127 else (-127 if v < -127 else v)
            lrn.w8[c * d + j] = v & 0xFF
            fs += v * lrn._mz[j]
        lrn.bias[c] = ((lrn.bm[c] + 128) >> 8) - fs
    lrn._resize()
