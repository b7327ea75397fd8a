# On-device learning (docs/learner.md): a trainable copy of the model's last
# FULLY_CONNECTED layer on the frozen backbone's int8 embedding, trained with
# integer-only, normalised SGD on softmax cross-entropy over a class-balanced replay
# buffer; a new class starts from a zero row and a calibrated bias. Bit-exact with the host twin
# (host/microlearn_host/quant/learner_twin.py); the shared design is in the spec
# the twin's docstring cites. Everything is allocated here, at construction:
# learn() and predict() then only do arithmetic (a new class allocates a little).
from array import array
from micropython import const

from . import learn_head as _h
from .compat import native_learn

_lk = native_learn()
if _lk is None:
    from . import learn_py as _lk
_update = _lk.update
_recentre = _lk.recentre
_copy8 = _lk.copy8
_rate = _lk.rate
_centre_k = _lk.centre

_WLIM = const(32512)  # 127 * 256: master weights stay in the int8 range
_D_MAX = const(4096)  # sum(xc**2) <= 510**2 * D stays a small int on every board
_MU_MAX = const(1048576)  # mu stops moving after 2**20 inputs: its int32 sums stay in range
_NEW = const(4)  # default max_classes: the model's classes + 4
_SLOTS = const(20)  # default slots: at most 20 stored embeddings per class ...
_RAM = const(15360)  # ... and as many as keep ram_bytes() within 15 KB (at least 1): with
# the arrays' object headers (~1.2 KB measured) the Learner stays within 16 KB of heap


def _ram(cm, d, slots):
    """Bytes a Learner allocates: head (w8, wm), replay buffer, per-class ints, scratch."""
    return cm * d * 5 + cm * slots * d + cm * 32 + 14 * d + 2 * cm + 4 * 17


class Learner:
    """Learns new classes and adapts old ones on top of a loaded model (a
    microlearn.Model that ends FULLY_CONNECTED -> SOFTMAX); docs/learner.md."""

    def __init__(self, model, path=None, max_classes=None, slots=None, replay=16, eta=32,
                 guard=0):
        if path is not None and not isinstance(path, str):
            raise TypeError("path must be a str or None, got %s" % type(path).__name__)
        (fc, w, b, m, s, p), (sm, psm, tab), (d, zp), scale = model.head()
        nb = p[1]
        if max_classes is None:  # room for _NEW more classes than the model has
            max_classes = min(255, nb + _NEW)
        if slots is None and isinstance(max_classes, int) and max_classes > 0:
            # as many as fit in the default RAM budget, at most _SLOTS
            slots = max(1, min(_SLOTS, (_RAM - _ram(max_classes, d, 0)) // (max_classes * d)))
        for name, v, lo, hi in (("max_classes", max_classes, 1, 255), ("slots", slots, 1, 4096),
                                ("replay", replay, 0, 64), ("eta", eta, 1, 1023),
                                ("guard", guard, 0, 255)):
            if not isinstance(v, int):
                raise TypeError("%s must be an int, got %s" % (name, type(v).__name__))
            if not lo <= v <= hi:
                raise ValueError("%s = %d is outside %d..%d" % (name, v, lo, hi))
        if d > _D_MAX:
            raise ValueError("the embedding has %d bytes; the Learner takes up to %d"
                             % (d, _D_MAX))
        if nb > max_classes:
            raise ValueError("the model has %d classes, more than max_classes=%d"
                             % (nb, max_classes))
        self.model, self.path = model, path
        self.D, self.max_classes, self.slots, self.replay, self.eta = d, max_classes, slots, \
            replay, eta
        self.guard = guard
        self.passed_over = 0  # replayed steps the guard skipped since construction
        self._fc, self._sm, self._tab, self._zp = fc, sm, tab, zp
        self._base = (w, _h.ints(b, nb), _h.ints(m, nb), _h.ints(s, nb), nb)
        # bias limit: |acc| << shift stays in int32 (the kernels need it), bm fits a small int
        sh = 0
        best = 0
        for c in range(nb):
            sh = max(sh, self._base[3][c])
            if (self._base[3][c], self._base[2][c]) > (self._base[3][best], self._base[2][best]):
                best = c
        self._new = (self._base[2][best], self._base[3][best])
        if self._new[0] < 1 << 30:
            raise ValueError("the last layer's multiplier %d is not normalised" % self._new[0])
        w, we, lrb, lbs = _h.rates(scale[0], scale[1], self._new[0], self._new[1], eta)
        bl = min((1 << 22) - 1, (0x7FFFFFFF >> sh) - 510 * 127 * d)
        if bl < 1:
            raise ValueError("embedding of %d bytes with shift %d: the head's int32 accumulator "
                             "has no room to learn in" % (d, sh))
        cm = max_classes
        try:
            self.w8 = bytearray(cm * d)
            self.wm = array("i", bytes(4 * cm * d))
            self.bias = array("i", bytes(4 * cm))
            self.bm = array("i", bytes(4 * cm))
            self.mult = array("i", bytes(4 * cm))
            self.shift = array("i", bytes(4 * cm))
            self.fill = array("i", bytes(4 * cm))
            self.seen = array("i", bytes(4 * cm))
            self.buffer = bytearray(cm * slots * d)
            self.mu_sum = array("i", bytes(4 * d))  # sum of the inputs' xe: their mean mu
            self._mz = array("i", bytes(4 * d))  # zp_e + mu: what the head subtracts
            self._dmu = array("i", bytes(4 * d))  # mu's move; in _train, the centred input
            self._e = bytearray(d)  # the example's embedding
            self._r = bytearray(d)  # a replayed one
            self._lg = bytearray(cm)  # logits
            self._q = bytearray(cm)  # probabilities, int8 (p = (q + 128) / 256)
            self._pfc = array("i", [d, 0, p[2], p[3], p[4]])
            self._psm = array("i", [1, 0])
            self._pu = array("i", [d, 0, 0, 0, 1, lrb, lbs, _WLIM, bl << 8])
            self._pw = array("i", [w, we])  # the step's rate is w * 2**we / sum(xc**2)
            self._pr = array("i", [d, 0, bl << 8])
            self._res = [None, 0]
        except MemoryError:
            self.w8 = self.wm = self.buffer = None
            raise ValueError("a Learner with max_classes=%d, slots=%d on a %d-byte embedding "
                             "needs %d bytes of heap" % (cm, slots, d, self.ram_bytes()))
        self._bl = bl
        _h.reset(self)
        if path is not None:
            _h.restore(self)

    def ram_bytes(self):
        """Bytes of the buffers allocated at construction (head, replay buffer, scratch)."""
        return _ram(self.max_classes, self.D, self.slots)

    def _resize(self):
        n = len(self.names)
        self._pfc[1] = self._psm[1] = self._pu[1] = self._pr[1] = n
        self._qv = memoryview(self._q)[:n]

    def save(self):
        """Write the learned state to `path` atomically (temporary file + rename).
        OSError that says why (full or read-only filesystem); the old file stays."""
        if self.path is None:
            raise ValueError("this Learner has no state file: Learner(model, path)")
        _h.save(self)

    def _index(self, label):
        if not isinstance(label, str):
            raise TypeError("label must be a str, got %s" % type(label).__name__)
        names = self.names
        for c in range(len(names)):
            if names[c] == label:
                return c
        return -1

    def _find(self, label):
        c = self._index(label)
        if c < 0:
            raise ValueError("no class %r (classes: %s)" % (label, ", ".join(self.names)))
        return c

    def learn(self, x, label):
        """Learn one labelled example: x is what Model.predict takes (floats or int8
        bytes); a new label adds a class (ValueError beyond max_classes)."""
        c = self._index(label)
        if c < 0:
            if len(self.names) >= self.max_classes:
                raise ValueError("cannot add class %r: %d classes already, max_classes=%d"
                                 % (label, len(self.names), self.max_classes))
            if len(label.encode()) > 255:
                raise ValueError("class name %r is longer than 255 bytes" % label)
        e = self._e
        _copy8(e, self.model.embed_int8(x), 0, 0, self.D)  # out= would build a slice object
        self._centre(e)
        if c < 0:
            c = _h.imprint(self, label)
        self._store(c, e)
        self._train(e, c)
        self.steps += 1
        self.updates += 1 + self.replay

    def remember(self, x, label):
        """Store x's embedding in the replay buffer of an existing class, no learning step."""
        c = self._find(label)
        e = self.model.embed_int8(x)
        self._centre(e)
        self._store(c, e)

    def _train(self, e, y):
        """Normalised SGD steps (docs/learner.md, section 5), each moving the logits by
        eta/16 nats times the softmax error whatever the embedding's norm: one on (e, y), then
        `replay` on stored examples, their classes taken in turn. A replayed example whose
        class the head gives a probability below guard/256 is passed over: with wrong
        answers among the labels, those are mostly the wrong ones (docs/learner.md, section 6).
        Everything the loop touches
        is a local: an attribute lookup per kernel argument cost more than the step's FC."""
        fc = self._fc  # one name a line: a 4-tuple assignment would build a tuple
        sm = self._sm
        w8 = self.w8
        wm = self.wm
        bias = self.bias
        bm = self.bm
        mult = self.mult
        shift = self.shift
        lg = self._lg
        q = self._q
        mz = self._mz
        pu = self._pu
        pw = self._pw
        pfc = self._pfc
        psm = self._psm
        tab = self._tab
        buf = self.buffer
        fill = self.fill
        r = self._r
        guard = self.guard
        xc = self._dmu  # free between _centre() calls: the step's centred input
        n = len(self.names)
        d = self.D
        k = self.slots
        x = e
        c = y
        for i in range(self.replay + 1):
            if i:  # a stored example of the next class that has one
                c = self._rr
                for _ in range(n):
                    if fill[c] > 0:
                        break
                    c = c + 1 if c + 1 < n else 0
                self._rr = c + 1 if c + 1 < n else 0
                _copy8(r, buf, 0, (c * k + self._rand() % fill[c]) * d, d)
                x = r
            if not _rate(x, mz, pu, pw, xc):  # the step's lr, ls into pu, x - mz into xc
                continue  # x is the mean of the inputs: nothing to learn from
            fc(x, w8, bias, mult, shift, lg, pfc)
            sm(lg, q, psm, tab)
            if i and (q[c] ^ 0x80) < guard:  # q holds int8 bits: q + 128
                self.passed_over += 1
                continue
            pu[2] = c
            _update(xc, wm, w8, q, bm, bias, mz, pu)

    def _centre(self, e):
        """Add e to the running mean mu of the inputs (the head learns on xe - mu: a ReLU
        embedding's common part would otherwise swamp it); the true biases absorb the move of
        mu, so that no logit changes."""
        if self.count >= _MU_MAX:
            return
        self.count += 1
        moved = _centre_k(e, self.mu_sum, self._dmu, self._mz, self.D, self._zp, self.count)
        if moved:
            _recentre(self.w8, self._dmu, self.bm, self.bias, self._mz, self._pr)

    def _rand(self):
        """xorshift32 (13, 17, 5) on two 16-bit halves, so no int outgrows a small
        int on 32-bit boards; returns the top 30 bits of the new state."""
        h, lo = self._rh, self._rl
        h ^= ((h << 13) | (lo >> 3)) & 0xFFFF
        lo ^= (lo << 13) & 0xFFFF
        lo ^= h >> 1
        h ^= ((h << 5) | (lo >> 11)) & 0xFFFF
        lo ^= (lo << 5) & 0xFFFF
        self._rh, self._rl = h, lo
        return (h << 14) | (lo >> 2)

    def _store(self, c, e):
        """Reservoir sampling per class: every example seen has an equal chance to stay."""
        seen = self.seen[c] + 1
        self.seen[c] = seen
        f = self.fill[c]
        k = self.slots
        if f < k:
            self.fill[c] = f + 1
        else:
            f = self._rand() % seen
            if f >= k:
                return
        _copy8(self.buffer, e, (c * k + f) * self.D, 0, self.D)

    def predict(self, x):
        """[label, confidence] of x (a list the next call overwrites): the class with the
        largest logit (the first of equals), its softmax probability in percent (an int)."""
        n = self._run(x)
        lg = self._lg
        best, bv = 0, lg[0] ^ 0x80
        for c in range(1, n):
            if lg[c] ^ 0x80 > bv:
                best, bv = c, lg[c] ^ 0x80
        res = self._res
        res[0] = self.names[best]
        res[1] = ((self._q[best] ^ 0x80) * 100 + 128) >> 8  # an int: a float would be boxed
        return res

    def scores(self, x, out=None):
        """int8 softmax probabilities of the n classes (p = (q + 128) / 256), as
        Model.predict_int8 gives them: a memoryview the next call overwrites, or
        copied into `out` (your bytearray of n bytes)."""
        n = self._run(x)
        if out is None:
            return self._qv
        if not isinstance(out, (bytearray, memoryview)) or len(out) != n:
            raise ValueError("out must be a bytearray of %d bytes" % n)
        out[:] = self._qv
        return out

    def _run(self, x):
        n = len(self.names)
        if not n:
            raise ValueError("the Learner has no classes left: learn() one first")
        e = self.model.embed_int8(x)
        self._fc(e, self.w8, self.bias, self.mult, self.shift, self._lg, self._pfc)
        self._sm(self._lg, self._q, self._psm, self._tab)
        return n

    def forget(self, label):
        """Remove a class: its head row and its stored examples."""
        c = self._find(label)
        n, d, k = len(self.names), self.D, self.slots
        if c < n - 1:  # move the classes above down by one (forward copies: dst < src)
            _copy8(self.w8, self.w8, c * d, (c + 1) * d, (n - 1 - c) * d)
            _copy8(self.buffer, self.buffer, c * k * d, (c + 1) * k * d, (n - 1 - c) * k * d)
            wm = self.wm
            for j in range(c * d, (n - 1) * d):
                wm[j] = wm[j + d]
            for a in (self.bias, self.bm, self.mult, self.shift, self.fill, self.seen):
                for j in range(c, n - 1):
                    a[j] = a[j + 1]
        n -= 1
        for j in range(n * d, n * d + d):
            self.w8[j] = 0
            self.wm[j] = 0
        for j in range(n * k * d, (n + 1) * k * d):
            self.buffer[j] = 0
        for a in (self.bias, self.bm, self.mult, self.shift, self.fill, self.seen):
            a[n] = 0
        self.names.pop(c)
        if self._rr > c:
            self._rr -= 1
        if self._rr >= n:
            self._rr = 0
        self._resize()

    def rename(self, old, new):
        """Give class `old` the name `new` (a str not used by another class)."""
        c = self._find(old)
        o = self._index(new)
        if o >= 0 and o != c:
            raise ValueError("class %r exists already" % new)
        if len(new.encode()) > 255:
            raise ValueError("class name %r is longer than 255 bytes" % new)
        self.names[c] = new

    def __repr__(self):
        per = ", ".join("%r %d/%d" % (self.names[c], self.fill[c], self.seen[c])
                        for c in range(len(self.names)))
        return "<Learner %d/%d classes (stored/seen: %s), %d steps, %d updates, %d bytes RAM>" % (
            len(self.names), self.max_classes, per, self.steps, self.updates, self.ram_bytes())
