"""Host twin of the device Learner (device/microlearn/learner.py), bit for bit.

    E = embed_int8(qmodel, xq)          # (N, D) int8 embeddings (input of the last FC)
    t = LearnerTwin(qmodel)             # same arguments and defaults as the device
    t.learn(E[0], "curl"); t.predict(E[1]) -> (label, confidence); t.scores(E[1]) -> int8
    t.state()                           # the device's arrays: wm, bm, w8, bias, ... (numpy)

Integer arithmetic in numpy int64; the head's forward pass is the host reference
FC (ops.fully_connected, TFLM requantization) and softmax (ops.softmax). docs/learner.md
describes the algorithm; the device and the twin follow it step by step:
imprint a new class, store the example (class-balanced reservoir), one SGD step on it
and `replay` SGD steps on stored examples (round-robin over classes). Each step is
normalised: it moves the example's logits by eta/16 nats times the softmax error,
whatever the model's scales and the embedding's norm.
"""
import numpy as np

from . import ops, qmath
from .qmodel import prepare
from .reference import run

SEED = 0x2545F491
WLIM = 127 * 256
MU_MAX = 1 << 20   # mu stops moving after this many inputs (its int32 sums stay in range)
GAMMA = 2          # the bias takes 2/16 of a step's logit change, the weights the rest
D_MAX = 4096       # sum(xc**2) <= 510**2 * D stays below 2**30 (a small int on every board)
NEW, SLOTS, RAM = 4, 20, 15360  # default max_classes = classes + NEW; slots fit RAM, <= SLOTS
DEFAULTS = dict(max_classes=None, slots=None, replay=16, eta=32, guard=0)


def ram(cm, d, slots):
    """Bytes the device Learner allocates (its ram_bytes())."""
    return cm * d * 5 + cm * slots * d + cm * 32 + 14 * d + 2 * cm + 4 * 17


def default_sizes(classes, d, max_classes=None, slots=None):
    """(max_classes, slots) as the device Learner picks them when not given."""
    if max_classes is None:
        max_classes = min(255, classes + NEW)
    if slots is None and isinstance(max_classes, (int, np.integer)) and max_classes > 0:
        slots = max(1, min(SLOTS, (RAM - ram(max_classes, d, 0)) // (max_classes * d)))
    return max_classes, slots


def _check_model(qmodel):
    L = qmodel.layers
    if len(L) < 2 or L[-1].op != 'SOFTMAX' or L[-2].op != 'FULLY_CONNECTED' \
            or list(L[-1].inputs) != [len(L) - 1]:
        raise ValueError("the model must end FULLY_CONNECTED -> SOFTMAX (the classifier the "
                         "Learner trains); it ends " + " -> ".join(x.op for x in L[-2:]))


def embed_int8(qmodel, xq):
    """(N, D) int8: the input of the last FULLY_CONNECTED layer for each int8 input in xq
    ((N,) + input_shape, or one input of input_shape -> (1, D))."""
    _check_model(qmodel)
    xq = np.asarray(xq)
    if xq.dtype != np.int8:
        raise ValueError(f"inputs must be int8 (quantized), got {xq.dtype}")
    shape = tuple(qmodel.input_shape)
    if xq.shape == shape or xq.size == int(np.prod(shape)):
        xq = xq.reshape((1,) + shape)
    params = prepare(qmodel)
    t = qmodel.layers[-2].inputs[0]
    out = []
    for x in xq:
        ts = [x] + run(qmodel, x, params)
        out.append(ts[t].reshape(-1))
    return np.stack(out).astype(np.int8)


def norm(v, bits):
    """(m, s) with v ~ m * 2**s and 2**(bits-1) <= m < 2**bits, for v > 0 (floor)."""
    v, s = int(v), 0
    while v >= 1 << bits:
        v >>= 1
        s += 1
    while v < 1 << (bits - 1):
        v <<= 1
        s -= 1
    return v, s


def rates(out_scale_bits, mult, shift, eta):
    """The Learner's step constants from the head's output scale (f32 bits), its
    requantization multiplier and shift, and eta (1/16 nats): (W, we, lr_bias,
    lr_bias_shift). A step on an embedding of squared norm n2 changes wm by
    g * xc * W * 2**we / n2 (g the softmax error in 1/256): the logits move by
    (16 - GAMMA) / 16 * eta / 16 nats * g / 256, the bias by the rest."""
    ms = (out_scale_bits & 0x7FFFFF) | 0x800000   # s_out = ms * 2**es
    es = ((out_scale_bits >> 23) & 0xFF) - 150
    p = (ms >> 9) * (mult >> 16)                   # ~ ms * mult / 2**25, in [2**28, 2**30)
    am = (1 << 29) // (p >> 14)                    # ~ 2**43 / p
    e = -41 - shift - es                           # acc per unit of g/256: eta * am * 2**e
    w, a = norm((16 - GAMMA) * eta * am, 15)
    b, bs = norm(GAMMA * eta * am, 12)
    return (w, e - 4 + a) + _shift_range(b, 4 - e - bs, 4096)


def step_rate(n2, w, we):
    """(lr, lr_shift) of one SGD step on an embedding of squared norm n2 > 0."""
    n, b = norm(n2, 15)
    return _shift_range((w << 11) // n, 11 + b - we, 2048)


def _shift_range(m, ls, cap):
    """(m, ls) for the rate m / 2**ls with ls in 1..30, as the device kernels take it: m
    doubles while ls < 1 and m < cap (beyond, the rate is capped at ls = 1), halves while
    ls > 30."""
    while ls < 1 and m < cap:
        m <<= 1
        ls += 1
    if ls < 1:
        ls = 1
    while ls > 30:
        m >>= 1
        ls -= 1
    return m, ls


class LearnerTwin:
    def __init__(self, qmodel, max_classes=None, slots=None, replay=16, eta=32, guard=0):
        _check_model(qmodel)
        fcl = qmodel.layers[-2]
        max_classes, slots = default_sizes(fcl.weights.shape[0], fcl.weights.shape[1],
                                           max_classes, slots)
        for name, v, lo, hi in (("max_classes", max_classes, 1, 255), ("slots", slots, 1, 4096),
                                ("replay", replay, 0, 64), ("eta", eta, 1, 1023),
                                ("guard", guard, 0, 255)):
            if not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}")
            if not lo <= v <= hi:
                raise ValueError(f"{name} = {v} is outside {lo}..{hi}")
        params = prepare(qmodel)
        fc, self._psm = params[-2], params[-1]
        layer = qmodel.layers[-2]
        w = layer.weights.astype(np.int64)
        nb, d = w.shape
        if nb > max_classes:
            raise ValueError(f"the model has {nb} classes, more than max_classes={max_classes}")
        if d > D_MAX:
            raise ValueError(f"the embedding has {d} bytes; the Learner takes up to {D_MAX}")
        self.D, self.max_classes, self.slots, self.replay, self.eta = d, max_classes, slots, \
            replay, eta
        self.guard = int(guard)
        self.passed_over = 0
        self.zp = int(fc['in_zp'][0])
        self.out_zp, self.act_min, self.act_max = fc['out_zp'], fc['act_min'], fc['act_max']
        m = np.asarray(fc['mult'], np.int64)
        s = np.asarray(fc['shift'], np.int64)
        best = 0
        for c in range(nb):
            if (s[c], m[c]) > (s[best], m[best]):
                best = c
        self._new = (int(m[best]), int(s[best]))
        if self._new[0] < 1 << 30:
            raise ValueError(f"the last layer's multiplier {self._new[0]} is not normalised")
        bits = int(np.float32(layer.out_scale).view(np.uint32))
        self._w, self._we, self.lr_bias, self.lr_bias_shift = rates(bits, *self._new, eta)
        sh = max(0, int(s.max()))
        self.bl = min((1 << 22) - 1, (0x7FFFFFFF >> sh) - 510 * 127 * d)
        if self.bl < 1:
            raise ValueError(f"embedding of {d} bytes with shift {sh}: no room to learn in")
        cm = max_classes
        self.w8 = np.zeros((cm, d), np.int64)
        self.wm = np.zeros((cm, d), np.int64)
        self.bias = np.zeros(cm, np.int64)
        self.bm = np.zeros(cm, np.int64)
        self.mult = np.zeros(cm, np.int64)
        self.shift = np.zeros(cm, np.int64)
        self.fill = np.zeros(cm, np.int64)
        self.seen = np.zeros(cm, np.int64)
        self.buffer = np.zeros((cm, slots, d), np.int64)
        self.mu_sum = np.zeros(d, np.int64)   # sum of the learned xe (learn/remember inputs)
        self.count = 0
        self.mu = np.zeros(d, np.int64)       # floor(mu_sum / count): the centre of the inputs
        bt = (np.zeros(nb, np.int64) if layer.bias is None else layer.bias.astype(np.int64))
        if np.any(np.abs(bt) > self.bl):
            c = int(np.argmax(np.abs(bt)))
            raise ValueError(f"class {c}'s bias {int(bt[c])} is beyond the Learner's limit "
                             f"{self.bl}")
        self.w8[:nb] = w
        self.wm[:nb] = w << 8
        self.bm[:nb] = bt << 8
        self.bias[:nb] = bt - self.zp * w.sum(axis=1)
        self.mult[:nb], self.shift[:nb] = m, s
        names = list(qmodel.class_names)
        self.names = [str(names[c]) if c < len(names) else str(c) for c in range(nb)]
        self.steps = self.updates = self.rr = 0
        self.rand_state = SEED

    @property
    def n(self):
        return len(self.names)

    def ram_bytes(self):
        """Bytes the device Learner allocates at construction (its ram_bytes())."""
        return ram(self.max_classes, self.D, self.slots)

    # ---- arithmetic ------------------------------------------------------------
    def _requant(self, acc, mult, shift):
        y = qmath.multiply_by_quantized_multiplier(acc, mult, shift).astype(np.int64)
        return np.clip(y + self.out_zp, self.act_min, self.act_max)

    def _logits(self, e, n=None):
        n = self.n if n is None else n
        p = dict(in_zp=[self.zp], mult=self.mult[:n], shift=self.shift[:n], out_zp=self.out_zp,
                 act_min=self.act_min, act_max=self.act_max)
        # unfold the zero point only: the kernel bias holds -w8 . mu, the centring
        bt = self.bias[:n] + self.zp * self.w8[:n].sum(axis=1)
        return ops.fully_connected(np.asarray(e, np.int8), p, self.w8[:n], bt).astype(np.int64)

    def _forward(self, e):
        lg = self._logits(e)
        q = ops.softmax(lg.astype(np.int8), self._psm).astype(np.int64)
        return lg, q

    def _rand(self):
        x = self.rand_state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.rand_state = x
        return x >> 2

    def _sgd(self, e, y, replayed=False):
        xc = np.asarray(e, np.int64) - self.zp - self.mu
        n2 = int((xc * xc).sum())
        if n2 == 0:  # the example is the mean of the inputs: nothing to learn from
            return
        lr, ls = step_rate(n2, self._w, self._we)
        _, q = self._forward(e)
        if replayed and q[y] + 128 < self.guard:  # passed over: perhaps a wrong label
            self.passed_over += 1
            return
        g = q + 128
        g[y] -= 256
        rows = np.nonzero(g)[0]
        if not rows.size:
            return
        gk = g[rows]
        half, hb = 1 << (ls - 1), 1 << (self.lr_bias_shift - 1)
        delta = (gk[:, None] * lr * xc[None, :] + half) >> ls
        self.wm[rows] = np.clip(self.wm[rows] - delta, -WLIM, WLIM)
        self.w8[rows] = np.clip((self.wm[rows] + 128) >> 8, -127, 127)
        bl = self.bl << 8
        self.bm[rows] = np.clip(self.bm[rows] - ((gk * self.lr_bias + hb) >> self.lr_bias_shift),
                                -bl, bl)
        self._fold(rows)

    def _fold(self, rows):
        """Kernel bias = true bias - w8 . (zp_e + mu): the FC kernel sees raw int8 embeddings."""
        self.bias[rows] = ((self.bm[rows] + 128) >> 8) - self.w8[rows] @ (self.zp + self.mu)

    def _centre(self, e):
        """Add e to the running mean of the inputs; the true biases absorb the move of mu so
        that no logit changes: b += w8 . (mu_new - mu_old)."""
        if self.count >= MU_MAX:
            return
        self.mu_sum += np.asarray(e, np.int64) - self.zp
        self.count += 1
        mu = self.mu_sum // self.count
        dmu = mu - self.mu
        if np.any(dmu):
            n = self.n
            bl = self.bl << 8
            self.bm[:n] = np.clip(self.bm[:n] + ((self.w8[:n] @ dmu) << 8), -bl, bl)
            self.mu = mu
            self._fold(np.arange(n))

    def _store(self, c, e):
        self.seen[c] += 1
        f = int(self.fill[c])
        if f < self.slots:
            self.fill[c] = f + 1
        else:
            f = self._rand() % int(self.seen[c])
            if f >= self.slots:
                return
        self.buffer[c, f] = e

    def _imprint(self, label, e):
        """Class n starts with a zero row and the bias that puts its logit on e halfway
        between the mean and the best of the other classes' logits (the output zero point
        when there are none); learn()'s steps then grow the row towards e."""
        n = self.n
        self.w8[n] = self.wm[n] = 0
        self.mult[n], self.shift[n] = self._new
        target = self.out_zp
        if n:
            lg = self._logits(e, n)
            target = (int(lg.max()) + int(lg.sum()) // n) // 2
        lo, hi = -self.bl, self.bl
        while lo < hi:
            mid = (lo + hi) >> 1
            if int(self._requant(mid, self.mult[n], self.shift[n])) >= target:
                hi = mid
            else:
                lo = mid + 1
        self.bm[n] = lo << 8
        self.bias[n] = lo
        self.fill[n] = self.seen[n] = 0
        self.names.append(label)
        return n

    # ---- the API (as the device Learner) ---------------------------------------
    def _index(self, label):
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        return self.names.index(label) if label in self.names else -1

    def _find(self, label):
        c = self._index(label)
        if c < 0:
            raise ValueError(f"no class {label!r} (classes: {', '.join(self.names)})")
        return c

    def _embedding(self, e):
        e = np.asarray(e)
        if e.dtype != np.int8 or e.shape != (self.D,):
            raise ValueError(f"embedding must be int8 of shape ({self.D},), got {e.dtype} "
                             f"{e.shape}")
        return e.astype(np.int64)

    def learn(self, e, label):
        """One labelled embedding (int8, (D,)); a new label adds a class."""
        c = self._index(label)
        if c < 0 and self.n >= self.max_classes:
            raise ValueError(f"cannot add class {label!r}: {self.n} classes already, "
                             f"max_classes={self.max_classes}")
        e = self._embedding(e)
        self._centre(e)
        if c < 0:
            c = self._imprint(label, e)
        self._store(c, e)
        self._sgd(e, c)
        n = self.n
        for _ in range(self.replay):
            c = self.rr
            for _ in range(n):
                if self.fill[c] > 0:
                    break
                c = c + 1 if c + 1 < n else 0
            self.rr = c + 1 if c + 1 < n else 0
            slot = self._rand() % int(self.fill[c])
            self._sgd(self.buffer[c, slot], c, True)
        self.steps += 1
        self.updates += 1 + self.replay

    def remember(self, e, label):
        """Store an embedding in an existing class's replay buffer, no SGD step."""
        c = self._find(label)
        e = self._embedding(e)
        self._centre(e)
        self._store(c, e)

    def scores(self, e):
        """int8 probabilities of the n classes (p = (q + 128) / 256)."""
        if not self.n:
            raise ValueError("the Learner has no classes left: learn() one first")
        return self._forward(self._embedding(e))[1].astype(np.int8)

    def predict(self, e):
        """(label, confidence): argmax of the int8 logits (first of equals), and its
        softmax probability in percent, rounded (an int, as the device gives it)."""
        if not self.n:
            raise ValueError("the Learner has no classes left: learn() one first")
        lg, q = self._forward(self._embedding(e))
        c = int(np.argmax(lg))
        return self.names[c], ((int(q[c]) + 128) * 100 + 128) >> 8

    def forget(self, label):
        c = self._find(label)
        n = self.n
        for a in (self.w8, self.wm, self.bias, self.bm, self.mult, self.shift, self.fill,
                  self.seen, self.buffer):
            a[c:n - 1] = a[c + 1:n].copy()
            a[n - 1] = 0
        self.names.pop(c)
        n -= 1
        if self.rr > c:
            self.rr -= 1
        if self.rr >= n:
            self.rr = 0

    def rename(self, old, new):
        c = self._find(old)
        o = self._index(new)
        if o >= 0 and o != c:
            raise ValueError(f"class {new!r} exists already")
        self.names[c] = new

    def state(self):
        """The device Learner's arrays (flat, as it holds them) and counters."""
        return dict(w8=self.w8.reshape(-1).astype(np.int8),
                    wm=self.wm.reshape(-1).astype(np.int32),
                    bias=self.bias.astype(np.int32), bm=self.bm.astype(np.int32),
                    mult=self.mult.astype(np.int32), shift=self.shift.astype(np.int32),
                    fill=self.fill.astype(np.int32), seen=self.seen.astype(np.int32),
                    buffer=self.buffer.reshape(-1).astype(np.int8), names=list(self.names),
                    mu_sum=self.mu_sum.astype(np.int32), count=self.count,
                    rand=self.rand_state, rr=self.rr, steps=self.steps, updates=self.updates,
                    passed_over=self.passed_over)

    def __repr__(self):
        per = ", ".join(f"{self.names[c]!r} {self.fill[c]}/{self.seen[c]}" for c in range(self.n))
        return (f"<LearnerTwin {self.n}/{self.max_classes} classes (stored/seen: {per}), "
                f"{self.steps} steps, {self.updates} updates, {self.ram_bytes()} bytes RAM>")
