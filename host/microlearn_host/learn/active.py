"""Active learning on the host: the twin of device/microlearn/query.py (query strategies and
the adaptive Budget, the same integers) and a simulated user who answers the board's
questions on a new user's stream, for the benchmarks of issue #9.

    res = simulate(sc, "margin", order_seed=0)   # sc: learn.scenario.watch_user(...)
    res["acc"][k]      # test accuracy after k * n labels (k labels per class on average)
    res["gestures"][k] # button gestures those labels took (confirm, or walk to the label)
The stream: the user's stream windows, recording after recording (recordings in a shuffled
order per pass, windows in time order, as a person does one exercise after another), played
in passes until the label budget is spent. Each window: the board scores it; the Budget
decides whether to ask; the user answers (wrong with probability `err`); the Learner learns.
"""
from __future__ import annotations

import math

import numpy as np

STRATEGIES = ("least", "margin", "entropy", "random")
GUARD = 32  # the app's Learner guard (device/microlearn/app.py GUARD), tested equal
SCORE_MAX = 2048
# -p log2 p in 1/256 bits for p = 0..255 (/256): the device's table is checked against it
H = [0] + [round(-(p / 256) * math.log2(p / 256) * 256) for p in range(1, 256)]


def score(kind: str, q, rnd: int = 0) -> int:
    """Uncertainty of int8 probabilities q (p = (q + 128) / 256), as query.score."""
    p = (np.asarray(q, np.int64) + 128).tolist()
    if kind == "random":
        return rnd & 0xFF
    if kind == "entropy":
        return sum(H[v] for v in p)
    top = sorted(p, reverse=True) + [0]
    if kind == "least":
        return 256 - top[0]
    if kind == "margin":
        return 256 - (top[0] - top[1])
    raise ValueError(f"unknown query strategy {kind!r}; known: {', '.join(STRATEGIES)}")


class Budget:
    """query.Budget: about one question per `every` samples, at most `total`."""

    def __init__(self, every=10, total=None, step=64):
        self.every, self.total, self.step = every, total, step
        self.acc = self.asked = self.seen = 0

    def ask(self, s: int) -> bool:
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


def passes(rec, start, seed, n_passes):
    """Stream indices: per pass, recordings in a shuffled order, each in time order."""
    rs = np.random.RandomState(seed)
    recs = np.unique(rec)
    out = []
    for _ in range(n_passes):
        for r in rs.permutation(recs):
            idx = np.flatnonzero(rec == r)
            out.extend(idx[np.argsort(start[idx], kind="stable")].tolist())
    return out


def simulate(sc, strategy, order_seed=0, every=4, per_class=20, err=0.0, max_passes=20,
             hyper=None, rec=None, start=None, guard=GUARD, self_label=0) -> dict:
    """{"acc": [accuracy after k * n labels, k = 0..per_class], "gestures": [...],
    "labels": labels given, "asked_right": share of questions whose top guess was right,
    "wrong": wrong answers given}. rec/start: recording index and start of each stream
    window (UserData.rec_stream/start_stream). guard: the Learner's, as the app sets it.
    self_label > 0: a window not asked about whose top probability is >= self_label/256 is
    learned as its predicted class, once every class has had a label (an experiment: the
    app does not do it, docs/active.md says why)."""
    from .ours import Ours
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown query strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    n = len(sc.names)
    lrn = Ours(sc.qm, sc.names, **{"guard": guard, **(hyper or {})})
    t = lrn.t
    budget = Budget(every, per_class * n)
    rs = np.random.RandomState(10_000 + order_seed)
    order = passes(rec, start, order_seed, max_passes)
    acc = [float(np.mean(lrn.predict(sc.E_test) == sc.y_test))]
    gestures = [0]
    g = wrong = right_top = 0
    for i in order:
        e = sc.E_stream[i]
        q = t.scores(np.asarray(e, np.int8))
        if not budget.ask(score(strategy, q, int(rs.randint(0, 1 << 30)))):
            if self_label and budget.asked >= n and int(q.max()) + 128 >= self_label:
                lrn.learn(e, int(np.argmax(q)))
            continue
        y = int(sc.y_stream[i])
        if err and rs.random_sample() < err:  # a wrong answer: another class, uniformly
            y = int(rs.choice([c for c in range(n) if c != y]))
            wrong += 1
        # the board offers its classes from the most to the least likely: click confirms,
        # each long press moves on; so the label costs its rank + 1 gestures
        lg = np.argsort(-(q.astype(np.int64)), kind="stable")
        rank = int(np.flatnonzero(lg == y)[0])
        right_top += rank == 0
        g += rank + 1
        lrn.learn(e, y)
        if budget.asked % n == 0:
            acc.append(float(np.mean(lrn.predict(sc.E_test) == sc.y_test)))
            gestures.append(g)
        if budget.asked >= per_class * n:
            break
    return {"acc": acc, "gestures": gestures, "labels": budget.asked, "wrong": wrong,
            "asked_right": right_top / max(1, budget.asked), "seen": budget.seen}
