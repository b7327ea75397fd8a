# Which samples to ask the user about (selective sampling): an uncertainty score per
# strategy from the Learner's int8 probabilities (p = (q + 128) / 256, as scores() gives
# them), and a Budget whose threshold adapts so that about one sample in `every` is asked.
# Integers only, no allocation: the same bits on every board and in the host twin
# (host/microlearn_host/learn/query_twin.py).
from micropython import const

LEAST = const(0)  # least confidence: 256 - p_max
MARGIN = const(1)  # margin: 256 - (p_first - p_second)
ENTROPY = const(2)  # entropy: sum of -p log2 p, in 1/256 bits (table _H)
RANDOM = const(3)  # random: the baseline every strategy must beat
NAMES = ("least", "margin", "entropy", "random")
SCORE_MAX = const(2048)  # no score exceeds it (entropy of 255 classes: 2047)

# -p/256 * log2(p/256) * 256, rounded, for p = 0..255 (tests/host/test_query.py checks it)
_H = (b"\x00\x08\x0e\x13\x18\x1c\x20\x24\x28\x2b\x2f\x32\x35\x38\x3b\x3d\x40\x43\x45\x47"
      b"\x4a\x4c\x4e\x50\x52\x54\x56\x58\x59\x5b\x5d\x5e\x60\x62\x63\x64\x66\x67\x69\x6a"
      b"\x6b\x6c\x6e\x6f\x70\x71\x72\x73\x74\x75\x76\x77\x78\x78\x79\x7a\x7b\x7c\x7c\x7d"
      b"\x7e\x7e\x7f\x7f\x80\x81\x81\x82\x82\x83\x83\x83\x84\x84\x85\x85\x85\x85\x86\x86"
      b"\x86\x86\x87\x87\x87\x87\x87\x87\x88\x88\x88\x88\x88\x88\x88\x88\x88\x88\x88\x88"
      b"\x88\x88\x87\x87\x87\x87\x87\x87\x86\x86\x86\x86\x86\x85\x85\x85\x84\x84\x84\x84"
      b"\x83\x83\x82\x82\x82\x81\x81\x80\x80\x80\x7f\x7f\x7e\x7e\x7d\x7d\x7c\x7c\x7b\x7a"
      b"\x7a\x79\x79\x78\x78\x77\x76\x76\x75\x74\x74\x73\x72\x72\x71\x70\x6f\x6f\x6e\x6d"
      b"\x6c\x6c\x6b\x6a\x69\x69\x68\x67\x66\x65\x64\x64\x63\x62\x61\x60\x5f\x5e\x5d\x5c"
      b"\x5b\x5b\x5a\x59\x58\x57\x56\x55\x54\x53\x52\x51\x50\x4f\x4e\x4d\x4c\x4a\x49\x48"
      b"\x47\x46\x45\x44\x43\x42\x41\x3f\x3e\x3d\x3c\x3b\x3a\x39\x37\x36\x35\x34\x33\x31"
      b"\x30\x2f\x2e\x2c\x2b\x2a\x29\x27\x26\x25\x24\x22\x21\x20\x1e\x1d\x1c\x1a\x19\x18"
      b"\x16\x15\x14\x12\x11\x10\x0e\x0d\x0b\x0a\x09\x07\x06\x04\x03\x01")


def strategy(name):
    """The strategy constant of a name ("least", "margin", "entropy" or "random")."""
    for i in range(len(NAMES)):
        if NAMES[i] == name:
            return i
    raise ValueError("unknown query strategy %r; known: %s" % (name, ", ".join(NAMES)))


def score(kind, q, n, rnd=0):
    """Uncertainty of int8 probabilities q[0:n] (bytes): 0 (sure) .. SCORE_MAX. rnd: a
    random int for RANDOM (its low 8 bits)."""
    if kind == RANDOM:
        return rnd & 0xFF
    if kind == ENTROPY:
        h = 0
        for k in range(n):
            h += _H[q[k] ^ 0x80]
        return h
    p1 = p2 = 0
    for k in range(n):
        p = q[k] ^ 0x80
        if p > p1:
            p1, p2 = p, p1
        elif p > p2:
            p2 = p
    if kind == LEAST:
        return 256 - p1
    if kind == MARGIN:
        return 256 - (p1 - p2)
    raise ValueError("unknown query strategy %r" % kind)


class Budget:
    """ask(score) -> True for about one call in `every`, the most uncertain ones: the
    threshold moves up by (every - 1) steps after a question and down by one after a
    sample let pass, so questions settle at 1/every of the samples (a stochastic
    approximation: Robbins-Monro on the asking rate). `total` caps the questions (None:
    no cap). The threshold is kept times 16 * every, in integers."""

    def __init__(self, every=10, total=None, step=64):
        for name, v, lo, hi in (("every", every, 1, 10000), ("step", step, 1, 4096)):
            if not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError("%s must be an int of %d..%d, got %r" % (name, lo, hi, v))
        if total is not None and (not isinstance(total, int) or total < 0):
            raise ValueError("total must be None or an int >= 0, got %r" % (total,))
        self.every, self.total, self.step = every, total, step
        self.acc = 0  # threshold * 16 * every: starts at 0, so the first samples are asked
        self.asked = self.seen = 0

    def threshold(self):
        """The current threshold on the score scale (a float, for people)."""
        return self.acc / (16 * self.every)

    def ask(self, s):
        """Whether to ask about a sample of score s (and count it)."""
        self.seen += 1
        if self.total is not None and self.asked >= self.total:
            return False
        a = s * 16 * self.every >= self.acc
        if a:
            self.asked += 1
            self.acc = min(self.acc + self.step * (self.every - 1), SCORE_MAX * 16 * self.every)
        else:
            self.acc = max(0, self.acc - self.step)
        return a

    def __repr__(self):
        return "<Budget 1 in %d%s: asked %d of %d, threshold %.1f>" % (
            self.every, "" if self.total is None else ", at most %d" % self.total,
            self.asked, self.seen, self.threshold())
