"""The device Learner == the host twin, bit for bit, on unix, unix32 and m0.

A generated model (16 inputs -> FC 24 + ReLU = the embedding -> FC 6 -> SOFTMAX) learns
a seeded stream of 1,000+ labelled examples: new classes up to the maximum (and one
refused beyond it), a forget, a rename, remembered examples, a full replay buffer
(reservoir). At each checkpoint the board's wm, bm, w8, bias, mult, shift, fill, seen,
buffer, mu_sum, names, rand state, round-robin pointer and counters equal the twin's.
"""
import functools
import os

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.quant.learner_twin import LearnerTwin, embed_int8
from microlearn_host.quant.qmodel import QLayer, QModel, SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP
from microlearn_host.quant import reference

from conftest import DEVICE_TESTS

SEED = 20261125
ARGS = dict(max_classes=9, slots=6, replay=3, eta=40, guard=40)
WRONG = 0.1  # share of wrong labels: the guard has something to pass over
STEPS = 1000


def small_model(rng, d=24, classes=6, n_in=16):
    w1 = rng.integers(-127, 128, size=(d, n_in)).astype(np.int8)
    w2 = rng.integers(-127, 128, size=(classes, d)).astype(np.int8)
    layers = [
        QLayer('FULLY_CONNECTED', [0], (d,), 0.08, -128, 'RELU', weights=w1,
               bias=rng.integers(-3000, 3000, size=d).astype(np.int32),
               w_scales=np.full(d, 0.004)),
        QLayer('FULLY_CONNECTED', [1], (classes,), 0.15, 7, weights=w2,
               bias=rng.integers(-2000, 2000, size=classes).astype(np.int32),
               w_scales=10 ** rng.uniform(-2.6, -2.2, size=classes)),
        QLayer('SOFTMAX', [2], (classes,), SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP, opts={"beta": 1.0}),
    ]
    return QModel((n_in,), 0.05, 3, layers, class_names=[f"c{i}" for i in range(classes)])


@functools.lru_cache(maxsize=1)
def case():
    """(model, inputs (N, 16) int8, ops list)."""
    rng = np.random.default_rng(SEED)
    m = small_model(rng)
    protos = rng.integers(-100, 100, size=(12, 16))
    labels = [f"c{i}" for i in range(6)] + ["new1", "new2", "new3", "new4"]
    xs, ops = [], []

    def example(k):
        x = np.clip(protos[k] + rng.integers(-40, 41, size=16), -128, 127).astype(np.int8)
        xs.append(x)
        return len(xs) - 1

    live = labels[:6] + ["new1"]
    known = set(labels[:6])
    for step in range(STEPS):
        if step == 150:
            live.append("new2")
        if step == 300:
            ops.append(("F", "c2"))
            live.remove("c2")
        if step == 400:
            ops.append(("R", "new1", "first new"))
            live[live.index("new1")] = "first new"
        if step == 500:
            live.append("new3")
        if step == 600:
            ops.append(("X", "too many"))  # 9 classes already since "new4"
        if step == 550:
            live.append("new4")
        if step in (299, 599):
            ops.append(("C",))
        lab = live[int(rng.integers(len(live)))] if step > 2 else "new1"
        k = labels.index("new1" if lab == "first new" else lab)
        if step > 2 and rng.random() < WRONG:  # the example of k, with another live label
            lab = live[int(rng.integers(len(live)))]
        if step % 97 == 5 and lab in known:
            ops.append(("M", example(k), lab))
        ops.append(("L", example(k), lab))
        known.add(lab)
    ops.append(("C",))
    return m, np.stack(xs), ops


def twin_play(m, xs, ops):
    E = embed_int8(m, xs)
    t = LearnerTwin(m, **ARGS)
    snaps = []
    for op in ops:
        if op[0] == "L":
            t.learn(E[op[1]], op[2])
        elif op[0] == "M":
            t.remember(E[op[1]], op[2])
        elif op[0] == "F":
            t.forget(op[1])
        elif op[0] == "R":
            t.rename(op[1], op[2])
        elif op[0] == "X":
            with pytest.raises(ValueError, match="max_classes"):
                t.learn(E[0], op[1])
        elif op[0] == "C":
            snaps.append(t.state())
    return t, snaps


def test_stream_is_a_real_workout():
    m, xs, ops = case()
    t, snaps = twin_play(m, xs, ops)
    s = snaps[-1]
    assert t.steps >= 1000 and t.n == 9
    assert (s["seen"][:9] > s["fill"][:9]).all(), "the reservoir never ran"
    # the weights moved away from their start, and most updates were not zero
    assert np.count_nonzero(s["wm"] % 256) > s["wm"].size // 4
    # the guard acted, but on a minority of the replayed steps
    assert 20 < t.passed_over < t.steps * ARGS["replay"] // 4, t.passed_over


def _ops_text(ops):
    args = " ".join(str(ARGS[k]) for k in ("max_classes", "slots", "replay", "eta", "guard"))
    lines = [args]
    for op in ops:
        lines.append(" ".join(str(v).replace(" ", "_") for v in op))
    return "\n".join(lines) + "\n"


def _first_diff(name, got, want, cm, d, k):
    i = int(np.argwhere(got != want)[0][0]) if got.size == want.size else -1
    where = ""
    if i >= 0 and name in ("wm", "w8"):
        where = f" (class {i // d}, element {i % d})"
    elif i >= 0 and name == "buffer":
        where = f" (class {i // (k * d)}, slot {i // d % k}, element {i % d})"
    elif i >= 0:
        where = f" (class {i})"
    return f"{name}: first difference at {i}{where}: device {got[i] if i >= 0 else got.size}, " \
           f"twin {want[i] if i >= 0 else want.size}"


DT = dict(wm="<i4", bm="<i4", bias="<i4", mult="<i4", shift="<i4", fill="<i4", seen="<i4",
          w8="i1", buffer="i1", mu_sum="<i4")


def test_device_equals_twin(target, run_device):
    m, xs, ops = case()
    # names with spaces go over the wire with "_" (ops.txt splits on blanks)
    ops = [tuple(str(v).replace(" ", "_") if isinstance(v, str) else v for v in op) for op in ops]
    t, snaps = twin_play(m, xs, ops)
    files = {"m.mlm": modelfile.write(m), "x.bin": xs.tobytes(), "ops.txt": _ops_text(ops).encode()}
    res = run_device(target, os.path.join(DEVICE_TESTS, "learner_stream.py"), files=files,
                     timeout=900)
    v = res.values()
    assert v["checkpoints"] == len(snaps)
    d, cm, k = t.D, t.max_classes, t.slots
    for c, s in enumerate(snaps):
        for name, dt in DT.items():
            got = np.frombuffer(bytes.fromhex(v[f"c{c} {name}"]), dt)
            want = np.asarray(s[name]).reshape(-1)
            assert np.array_equal(got, want), f"{target} checkpoint {c}: " + \
                _first_diff(name, got, want, cm, d, k)
        assert v[f"c{c} names"].split("|") == s["names"], f"{target} checkpoint {c}: names"
        got = tuple(int(u) for u in v[f"c{c} counters"].split())
        assert got == (s["rand"], s["rr"], s["steps"], s["updates"], s["count"],
                       s["passed_over"]), \
            f"{target} checkpoint {c}: rand/rr/steps/updates/count/passed_over: device {got}"


def test_twin_before_learning_is_the_base_model():
    """Host side of the same promise the device keeps (tests/device/check_learner.py)."""
    m, xs, _ = case()
    t = LearnerTwin(m, **ARGS)
    E = embed_int8(m, xs[:50])
    for x, e in zip(xs[:50], E):
        outs = reference.run(m, x)
        np.testing.assert_array_equal(t.scores(e), outs[-1].reshape(-1))
        assert t.predict(e)[0] == m.class_names[int(np.argmax(outs[-2].reshape(-1)))]


def test_twin_refuses_bad_input():
    m, xs, _ = case()
    t = LearnerTwin(m, **ARGS)
    e = embed_int8(m, xs[:1])[0]
    with pytest.raises(ValueError, match="no class"):
        t.forget("nope")
    with pytest.raises(TypeError):
        t.learn(e, 3)
    with pytest.raises(ValueError, match="embedding"):
        t.learn(e[:-1], "c0")
    with pytest.raises(ValueError, match="max_classes"):
        LearnerTwin(m, max_classes=3)
    with pytest.raises(ValueError, match="eta"):
        LearnerTwin(m, eta=1 << 10)
    with pytest.raises(ValueError, match="guard"):
        LearnerTwin(m, guard=-1)
    bad = QModel(m.input_shape, m.input_scale, m.input_zp, m.layers[:2])
    with pytest.raises(ValueError, match="SOFTMAX"):
        LearnerTwin(bad)


@pytest.mark.parametrize("eta", [8, 32, 200])
@pytest.mark.parametrize("scale", [0.02, 0.15, 3.0])
def test_a_step_moves_the_logits_by_eta(eta, scale):
    """The step constants come from integer bits of the model's scales (learn_head.rates);
    checked here against their float definition: one SGD step moves logit k of the example
    by -(eta/16) * g_k/256 nats (g the softmax error in 1/256), whatever the logit scale,
    for the class whose requantization new classes copy (the largest multiplier); a row
    with a smaller weight scale (per-channel) moves in proportion to it. Measured on the
    masters (wm/256, bm/256: w8 rounds them), weights away from their clamp; tolerance 3%:
    the integer mantissas have 12-15 bits and each wm change rounds to an integer."""
    rng = np.random.default_rng(7)
    m = small_model(rng)
    fc = m.layers[1]
    fc.out_scale = scale
    fc.weights = rng.integers(-20, 21, size=fc.weights.shape).astype(np.int8)
    t = LearnerTwin(m, eta=eta, replay=0)
    e = embed_int8(m, rng.integers(-128, 128, size=16).astype(np.int8))[0]
    xc = e.astype(np.int64) - t.zp - t.mu
    y = 2
    g = t._forward(e)[1] + 128
    g[y] -= 256
    acc0 = (t.wm[:6] @ xc + t.bm[:6]) / 256
    t._sgd(e, y)
    acc1 = (t.wm[:6] @ xc + t.bm[:6]) / 256
    ws = np.asarray(fc.w_scales, np.float64)
    dz = (acc1 - acc0) * m.layers[0].out_scale * ws  # nats (beta = 1)
    want = -(eta / 16) * g / 256 * ws / ws.max()
    big = np.abs(g) >= 8  # rows with a real error (a tiny one rounds away)
    assert big.sum() >= 2
    np.testing.assert_allclose(dz[big], want[big], rtol=0.03)
