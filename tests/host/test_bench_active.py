"""The active-learning bench (bench/active.py): reading presses off the mean curves, the
goal verdicts from canned curves, and one real subject on the twin."""
import numpy as np

from microlearn_host.bench import active as A
from microlearn_host.learn import active


def test_reach_reads_between_points():
    assert abs(A.reach([0.5, 0.6, 0.8], 0.7) - 1.5) < 1e-12  # float rounding of 0.7 - 0.6
    assert A.reach([0.5, 0.6, 0.8], 0.5) == 1.0  # the base (index 0) does not count
    assert abs(A.reach([0.9, 0.6, 0.8], 0.7) - 1.5) < 1e-12  # nor a base above the target
    assert A.reach([0.5, 0.6, 0.8], 0.81) is None


def _res(slope, gest_per_label, n=7, runs=3):
    k = np.arange(A.PER_CLASS + 1)
    acc = np.tile(0.8 + slope * k, (runs, 1))
    acc[:, 0] = 0.9  # a base above the early curve, as in the real runs
    gest = np.tile(gest_per_label * n * k, (runs, 1))
    return {"acc": acc, "gestures": gest, "n": np.full(runs, n)}


def test_savings_and_verdicts():
    r = _res(0.005, 1.0)
    m = _res(0.01, 1.2)
    sl, sg = A.savings(m["acc"][0], m["gestures"][0], r["acc"][0], r["gestures"][0], 10)
    assert abs(sl - 0.5) < 1e-9 and abs(sg - 0.4) < 1e-9  # 5 labels for random's 10
    G = active.GUARD
    res = {(k, e, G): (m if k in ("margin", "entropy") else r)
           for k in active.STRATEGIES for e in (0.0, A.ERR)}
    text = A.render(res)
    assert "at 10/class the better of margin and entropy saves 50% of random's labels " \
           "(goal >= 35%: met)" in text
    assert "at 20/class the better of margin and entropy saves 50%" in text
    slow = dict(res)
    slow[("margin", 0.0, G)] = slow[("entropy", 0.0, G)] = _res(0.004, 1.0)  # never reaches random
    text = A.render(slow)
    assert "| margin | 0% | on |" in text and "| never |" in text
    assert "(goal >= 35%: **not met**)" in text
    assert "random with right answers at 90.0% (goal: no worse than that minus 1 point: met)" \
        in A.render(res)
    # the yardstick is the better clean random: a better one without the guard fails the goal
    worse = {**res, ("random", 0.0, 0): _res(0.012, 1.0), ("margin", A.ERR, 0): r}
    text = A.render(worse)
    assert "| margin | 10% | off |" in text and "| random | 0% | off |" in text
    assert "(goal: no worse than that minus 1 point: **not met**)" in text
    assert "without the guard" in text


def test_one_subject_on_the_twin():
    res = A.measure(subjects=(3,), orders=(0,), errs=(0.0,), log=lambda *a: None,
                    unguarded=(("margin", 0.0),), selfs=(("margin+self", 0.0),))
    G = active.GUARD
    assert set(res) == {(k, 0.0, G) for k in active.STRATEGIES} | {("margin", 0.0, 0),
                                                                   ("margin+self", 0.0, G)}
    text = A.render(res, errs=(0.0,))
    assert "| margin, self-labels >= 250/256 | 0% | on |" in text
    assert "Self-labelling with 0% wrong answers: margin ends at" in text
    for d in res.values():
        assert d["acc"].shape == (1, A.PER_CLASS + 1)
        assert d["gestures"][0, 1] >= 7  # 7 labels take at least 7 gestures
    assert res[("margin", 0.0, G)]["acc"][0, -1] > res[("margin", 0.0, G)]["acc"][0, 0]


def test_two_processes_give_the_serial_results():
    args = dict(subjects=(3, 7), orders=(0,), errs=(0.0,), log=lambda *a: None, unguarded=(),
                selfs=())
    two, one = A.measure(workers=2, **args), A.measure(workers=1, **args)
    assert set(two) == set(one)
    for k in one:
        for key in ("acc", "gestures", "n"):
            np.testing.assert_array_equal(two[k][key], one[k][key])
