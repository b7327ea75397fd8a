"""`microlearn bench` section "Active learning": how many button presses each query strategy
needs (issue #9), on the Learner's host twin with the twin of device/microlearn/query.py.

Watch new users, same-arm split (as the learning section), all 10 subjects, base seed 0,
ORDERS stream orders each. The board asks about one window in EVERY (query.Budget); a
simulated user answers every question, right or, with ERR, wrong. The curves are averaged
over subjects and orders first; "presses to reach random" reads that mean curve: the labels
(questions) or button gestures a strategy needs until its accuracy reaches random
sampling's at a budget of 10 and 20 labels per class (linear between measured points).
The learner is the app's: its guard passes over replayed examples
whose class it finds unlikely (active.GUARD); rows "off" run the same without it. The app's own heap and loop cost on the boards follow (app_cost.py).
Run alone: `microlearn bench --only active`.
"""
from __future__ import annotations

import numpy as np

from ..learn import active

SUBJECTS = tuple(range(1, 11))
ORDERS = (0, 1, 2, 3, 4)
EVERY, PER_CLASS, ERR = 4, 20, 0.1
# rows without the guard, for comparison: (strategy, wrong answers)
UNGUARDED = (("margin", ERR), ("entropy", ERR), ("random", ERR), ("random", 0.0))
# self-labelling (issue #9's option): margin, plus learning the windows not asked about whose
# top probability is >= SELF/256 as their predicted class; rows "margin+self"
SELF = 250
SELF_ROWS = (("margin+self", 0.0), ("margin+self", ERR))
BUDGETS = (10, 20)
GOALS = {10: 0.35, 20: 0.25}  # fewer presses than random, margin or entropy
TITLE = "## Active learning (button questions)"


def _subject(job):
    """{(strategy, err, guard): {"acc": [runs], "gestures": [runs], "n": [runs]}} of one
    subject."""
    from ..data import loso
    from ..learn import scenario
    s, orders, errs, unguarded, selfs = job
    sc = scenario.watch_user(s, "same-arm", 0)
    u = loso.user_data(s, "same-arm")
    runs = {}
    rows = [(k, err, active.GUARD) for err in errs for k in active.STRATEGIES]
    rows += [(k, err, 0) for k, err in unguarded]
    rows += [(k, err, active.GUARD) for k, err in selfs]
    for k, err, guard in rows:
        for o in orders:
            r = active.simulate(sc, k.split("+")[0], o, every=EVERY, per_class=PER_CLASS,
                                err=err, rec=u.rec_stream, start=u.start_stream,
                                guard=guard, self_label=SELF if "+self" in k else 0)
            d = runs.setdefault((k, err, guard), {"acc": [], "gestures": [], "n": []})
            d["n"].append(len(sc.names))
            for key in ("acc", "gestures"):  # a stream too short: its last value stays
                d[key].append(r[key] + [r[key][-1]] * (PER_CLASS + 1 - len(r[key])))
    return runs


def measure(subjects=SUBJECTS, orders=ORDERS, errs=(0.0, ERR), log=print, workers=2,
            unguarded=UNGUARDED, selfs=SELF_ROWS):
    """{(strategy, err, guard): {"acc": (runs, PER_CLASS + 1), "gestures": ..., "n": (runs,)}}
    for every strategy at each of errs with the app's guard, the `unguarded` rows with
    guard 0 and the self-labelling rows `selfs`; subjects run in `workers` processes (the
    machines have 2 cores)."""
    import multiprocessing
    jobs = [(s, tuple(orders), tuple(errs), tuple(unguarded), tuple(selfs)) for s in subjects]
    runs = {}
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.imap(_subject, jobs)
            for s, res in zip(subjects, results):
                _merge(runs, res)
                log(f"  active learning: subject {s} measured")
    else:
        for job in jobs:
            _merge(runs, _subject(job))
            log(f"  active learning: subject {job[0]} measured")
    return {k: {key: np.array(v) for key, v in d.items()} for k, d in runs.items()}


def _merge(runs, res):
    for key, d in res.items():
        into = runs.setdefault(key, {"acc": [], "gestures": [], "n": []})
        for name, v in d.items():
            into[name].extend(v)


def reach(curve, target):
    """The (fractional) labels per class at which curve (index = labels per class) first
    reaches target after at least one label per class (linear between points), or None.
    Index 0 (the base model) does not count: the learner's first labels, all of one
    exercise in a recording-ordered stream, take it below the base before it climbs."""
    c = np.asarray(curve, float)
    for i in range(1, len(c)):
        if c[i] >= target:
            if i == 1 or c[i - 1] >= target:
                return float(i)
            return i - 1 + (target - c[i - 1]) / (c[i] - c[i - 1])
    return None


def savings(acc, gest, acc_rand, gest_rand, budget):
    """(labels, gestures) saving against random at `budget` labels per class: 1 - mine /
    random's; None where the strategy never reaches random's accuracy."""
    x = reach(acc, acc_rand[budget])
    if x is None:
        return None, None
    g = np.interp(x, np.arange(len(gest)), gest)
    return 1 - x / budget, 1 - g / gest_rand[budget]


def render(res, errs=(0.0, ERR), seconds=0.0) -> str:
    """res: measure()'s; rows with the app's guard for each of errs, then the rows without
    it that res holds. Savings are against random with the same errors and guard."""
    from .runs import met
    G = active.GUARD
    mean = {k: {key: v.mean(0) for key, v in d.items()} for k, d in res.items()}
    n_runs = len(next(iter(res.values()))["acc"])
    L = [TITLE, "", __doc__.split("\n\n")[1].replace("\n", " ").replace(
        "EVERY", str(EVERY)).replace("ERR", f"{100 * ERR:.0f}%").replace(
        "ORDERS", str(len(ORDERS))), "",
        f"{n_runs} runs per row. Section took {seconds:.0f} s.", "",
        "| strategy | wrong answers | guard | accuracy at 0 / 1 / 5 / 10 / 20 labels per class | "
        "gestures per label | labels to reach random at 10 (saving) | at 20 (saving) | "
        "gestures saving at 10 / 20 |", "|---|---|---|---|---|---|---|---|"]
    rows = [(k, err, G) for err in errs for k in active.STRATEGIES]
    rows += sorted((key for key in res if key[2] != G), key=lambda t: (t[1], t[0] == "random"))
    rows += sorted(key for key in res if "+self" in key[0])
    verdict = {}
    for k, err, guard in rows:
        r = mean.get(("random", err, guard), mean[("random", err, G)])
        m = mean[(k, err, guard)]
        cells = []
        gs = []
        for b in BUDGETS:
            sl, sg = savings(m["acc"], m["gestures"], r["acc"], r["gestures"], b)
            x = reach(m["acc"], r["acc"][b])
            cells.append("never" if sl is None else f"{x:.1f} ({100 * sl:+.0f}%)")
            gs.append("-" if sg is None else f"{100 * sg:+.0f}%")
            if err == 0 and guard == G and k in ("margin", "entropy"):
                verdict.setdefault(b, []).append(sl if sl is not None else -1.0)
        name = k.replace("+self", f", self-labels >= {SELF}/256")
        L.append(f"| {name} | {100 * err:.0f}% | {'on' if guard else 'off'} | " + " / ".join(
            f"{100 * m['acc'][i]:.1f}" for i in (0, 1, 5, 10, 20)) +
            f" | {m['gestures'][-1] / (PER_CLASS * m['n']):.2f} | {cells[0]} | {cells[1]} | "
            f"{gs[0]} / {gs[1]} |")
    L += [""]
    goal = [f"at {b}/class the better of margin and entropy saves {100 * max(v):.0f}% of "
            f"random's labels (goal >= {100 * GOALS[b]:.0f}%: {met(max(v) >= GOALS[b])})"
            for b, v in sorted(verdict.items())]
    L.append("Goals: " + "; ".join(goal) + ".")
    if ERR in errs:
        # the goal's yardstick: random with right answers, the better of with and without guard
        clean = [mean[key]["acc"][-1] for key in (("random", 0.0, G), ("random", 0.0, 0))
                 if key in mean]
        worst = min(mean[(k, ERR, G)]["acc"][-1] for k in ("margin", "entropy"))
        off = [mean[(k, ERR, 0)]["acc"][-1] for k in ("margin", "entropy")
               if (k, ERR, 0) in mean]
        L.append(f"With {100 * ERR:.0f}% wrong answers: margin and entropy end at >= "
                 f"{100 * worst:.1f}%" +
                 (f" ({100 * min(off):.1f}% without the guard)" if off else "") +
                 f", random with the same errors at "
                 f"{100 * mean[('random', ERR, G)]['acc'][-1]:.1f}%" +
                 (f", random with right answers at {100 * max(clean):.1f}% (goal: no worse than "
                  f"that minus 1 point: {met(worst >= max(clean) - 0.01)})" if clean else "") +
                 ".")
    for err in errs:
        if ("margin+self", err, G) in mean and ("margin", err, G) in mean:
            a, b = (mean[(k, err, G)]["acc"][-1] for k in ("margin+self", "margin"))
            L.append(f"Self-labelling with {100 * err:.0f}% wrong answers: margin ends at "
                     f"{100 * a:.1f}% with it, {100 * b:.1f}% without"
                     f" ({'kept' if a >= b else 'it hurts: the app does not self-label'}).")
    return "\n".join(L) + "\n"


def section(log=print) -> str:
    """The strategies on the twin, then the app's own cost on the boards (app_cost.py)."""
    import time
    from . import app_cost
    t0 = time.perf_counter()
    res = measure(log=log)
    return render(res, seconds=time.perf_counter() - t0) + "\n" + app_cost.section(log=log)
