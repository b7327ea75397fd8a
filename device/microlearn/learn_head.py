# The Learner's state outside the hot path (learner.py keeps the API and the learning
# loop): the base model's last layer as the start, a new class's imprint, and the round
# trip through the state file (state.py). All of it may allocate; learn() and predict()
# call none of it for a class they know.
from array import array
from micropython import const

MARGIN = const(4)  # a new class's logit on its first example: the best old one + MARGIN
SEED = const(0x2545F491)  # xorshift32 start (nonzero)
_NAVG0 = const(4)  # imprint norm when no class is left to take it from
_IMPRINT_DIV = const(16)  # a new row gets 1/16 of the mean row norm (measured, docs/learner.md)
_META = const(14)


def _s8(v):
    return (v ^ 0x80) - 0x80


def isqrt(v):
    """floor(sqrt(v)) of an int >= 0 (Newton from above)."""
    if v < 2:
        return v
    x = v
    while True:
        y = (x + v // x) >> 1
        if y >= x:
            return x
        x = y


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
        lrn.mu_sum[j] = lrn._mu[j] = lrn._dmu[j] = 0
        lrn._mz[j] = zp
    names = lrn.model.class_names
    lrn.names = [names[c] if c < len(names) else str(c) for c in range(nb)]
    lrn.steps = lrn.updates = lrn._rr = lrn.count = 0
    lrn._rh, lrn._rl = SEED >> 16, SEED & 0xFFFF
    lrn._resize()


def imprint(lrn, label):
    """Add class n from embedding lrn._e: weights = the embedding minus the mean of the
    inputs, scaled to 1/16 of the mean norm of the other rows; bias = the smallest that
    puts its logit MARGIN above the best other class on this example. Allocates."""
    n, d, zp, e = len(lrn.names), lrn.D, lrn._zp, lrn._e
    w8, p = lrn.w8, lrn._pfc
    mu = lrn._mu
    mean = 0  # with no mean of earlier inputs yet, centre the example on itself
    if lrn.count <= 1:
        for j in range(d):
            mean += _s8(e[j]) - zp
        mean //= d
    sx = 0
    for j in range(d):
        v = _s8(e[j]) - zp - (mu[j] if lrn.count > 1 else mean)
        sx += v * v
    nx = isqrt(sx)
    navg = _NAVG0
    if n:
        t = 0
        for c in range(n):
            s = 0
            for j in range(c * d, c * d + d):
                v = _s8(w8[j])
                s += v * v
            t += isqrt(s)
        navg = t // n // _IMPRINT_DIV
    base, fs = n * d, 0
    for j in range(d):
        v = _s8(e[j]) - zp - (mu[j] if lrn.count > 1 else mean)
        a = 0 if nx == 0 else min(127, (2 * abs(v) * navg + nx) // (2 * nx))
        v = -a if v < 0 else a
        w8[base + j] = v & 0xFF
        lrn.wm[base + j] = v << 8
        fs += v * lrn._mz[j]
    mx = p[2]
    if n:
        lrn._fc(e, w8, lrn.bias, lrn.mult, lrn.shift, lrn._lg, p)
        mx = -128
        for c in range(n):
            mx = max(mx, _s8(lrn._lg[c]))
    target = min(p[4], mx + MARGIN)
    lrn.mult[n], lrn.shift[n] = lrn._new
    one = array("i", [d, 1, p[2], p[3], p[4]])
    vw = memoryview(w8)[base:base + d]
    vb, vm, vs = (memoryview(a)[n:n + 1] for a in (lrn.bias, lrn.mult, lrn.shift))
    out = bytearray(1)
    lo, hi = -lrn._bl, lrn._bl
    while lo < hi:
        mid = (lo + hi) >> 1
        lrn.bias[n] = mid - fs
        lrn._fc(e, vw, vb, vm, vs, out, one)
        if _s8(out[0]) >= target:
            hi = mid
        else:
            lo = mid + 1
    lrn.bm[n] = lo << 8
    lrn.bias[n] = lo - fs
    lrn.fill[n] = lrn.seen[n] = 0
    lrn.names.append(label)
    lrn._resize()
    return n


def sections(lrn):
    """(meta ints, sections) of the state file, in the order docs/format.md gives."""
    meta = (lrn.D, lrn.max_classes, lrn.slots, len(lrn.names), lrn.steps, lrn.updates,
            (lrn._rh << 16) | lrn._rl, lrn._rr, lrn.replay, lrn.lr, lrn.lr_shift,
            lrn.lr_bias, lrn.lr_bias_shift, lrn.count)
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
        lrn._mu[j] = lrn.mu_sum[j] // lrn.count if lrn.count else 0
        lrn._mz[j] = zp + lrn._mu[j]
    for c in range(lrn.max_classes):  # w8 and the kernel bias follow from the masters
        fs = 0
        for j in range(d):
            v = (lrn.wm[c * d + j] + 128) >> 8
            v = 127 if v > 127 else (-127 if v < -127 else v)
            lrn.w8[c * d + j] = v & 0xFF
            fs += v * lrn._mz[j]
        lrn.bias[c] = ((lrn.bm[c] + 128) >> 8) - fs
    lrn._resize()
