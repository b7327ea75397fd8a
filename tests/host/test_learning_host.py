"""Host side of on-device learning: the baselines on tiny cases with known answers, the
int8 head evaluation against the reference engine, stream bookkeeping, `microlearn learn`
argument errors."""
import numpy as np
import pytest

from microlearn_host import cli, nn
from microlearn_host.convert import evaluate as ev, ptq
from microlearn_host.learn import baselines, curve, embed
from test_cli import run_fail


def test_nearest_mean_known_answer():
    ncm = baselines.NearestMean(3, 2, zp_e=-10)
    for e, c in (([0, -10], 0), ([10, -10], 0), ([-10, 10], 1)):  # xe = e + 10
        ncm.learn(np.array(e, np.int8), c)
    # class 0 mean xe (15, 0), class 1 (0, 20); class 2 has no example: never predicted
    got = ncm.predict(np.array([[5, -9], [-9, 5], [-10, -10]], np.int8))
    assert got.tolist() == [0, 1, 0]
    assert ncm.ram_bytes() == 4 * 3 * 2 + 4 * 3
    with pytest.raises(ValueError, match="no labelled example"):
        baselines.NearestMean(2, 2, 0).predict(np.zeros((1, 2), np.int8))


def test_knn_majority_and_ties():
    knn = baselines.KNN(2, 2, zp_e=0, k=3)
    for e, c in (([0, 0], 0), ([10, 0], 1), ([0, 10], 1)):
        knn.learn(np.array(e, np.int8), c)
    # nearest is class 0, but two of the three nearest are class 1
    assert knn.predict(np.array([[1, 1]], np.int8)).tolist() == [1]
    two = baselines.KNN(2, 2, zp_e=0, k=2)
    for e, c in (([0, 0], 0), ([10, 0], 1)):
        two.learn(np.array(e, np.int8), c)
    # one vote each: the nearest neighbour's class wins; equal distances: stored first
    assert two.predict(np.array([[9, 0], [1, 0], [5, 0]], np.int8)).tolist() == [1, 0, 0]
    assert knn.ram_bytes() == 3 * (2 + 1)


def test_oracle_separable_case():
    rng = np.random.default_rng(0)
    c = rng.integers(0, 3, 300)
    E = np.clip(np.eye(3)[c] * 60 + rng.integers(-10, 10, (300, 3)), -128, 127).astype(np.int8)
    head = {"e_scale": 0.05, "zp_e": 0, "w8": np.zeros((3, 3), np.int8),
            "w_scales": np.full(3, 0.01), "bias": np.zeros(3, np.int64)}
    o = baselines.oracle(E[:200], c[:200], E[200:], c[200:], head, 3)
    assert o["accuracy"] == 1.0 and o["which"] in ("from_scratch", "fine_tuned")
    assert o["ram_bytes"] == 4 * 3 * 4 + 200 * 4


def test_head_logits_equal_the_reference_fc():
    rng = np.random.default_rng(1)
    m = nn.Sequential([nn.Conv1D(4, 3, padding="same", activation="relu"), nn.GlobalAvgPool(),
                       nn.Dense(5)], input_shape=(8, 1, 2))
    x = rng.normal(size=(40, 8, 1, 2)).astype(np.float32)
    qm = ptq.quantize(m, x, [str(i) for i in range(5)])
    E, zp = embed.embeddings(qm, x)
    np.testing.assert_array_equal(E, ev.int8_outputs(qm, x, -3).reshape(40, -1))
    h = embed.head(qm)
    got = embed.logits(E, h["w8"], h["bias"], h["mult"], h["shift"], zp, h["out_zp"], h["act"])
    np.testing.assert_array_equal(got, ev.int8_outputs(qm, x, -2).reshape(40, -1))


def test_embedding_needs_fc_then_softmax():
    rng = np.random.default_rng(2)
    m = nn.Sequential([nn.Dense(4)], input_shape=(3,))
    qm = ptq.quantize(m, rng.normal(size=(10, 3)), softmax=False)
    with pytest.raises(ValueError, match="FULLY_CONNECTED \\+ SOFTMAX"):
        embed.fc_index(qm)


def test_round_ends():
    y = np.array([0, 1, 0, 1, 0, 0])
    order = np.arange(6)  # rounds: (0,1), (2,3), (4), (5)
    assert curve.round_ends(y, order, (1, 2, 3, 10)) == {1: 2, 2: 4, 3: 5, 10: 6}


@pytest.mark.parametrize("argv, match", [
    (["--dataset", "watch"], "needs --user"),
    (["--dataset", "watch", "--user", "11"], "--user 11"),
    (["--dataset", "watch", "--user", "3", "--new-classes", "1"], "--new-classes is for"),
    (["--dataset", "digits"], "needs --new-classes"),
    (["--dataset", "digits", "--user", "3"], "--user is for the watch"),
    (["--dataset", "digits", "--new-classes", "0-8"], "leaves 1 class"),
    (["--dataset", "digits", "--new-classes", "8,12"], "outside 0..9"),
    (["--dataset", "digits", "--new-classes", "8,9", "--png", "c.jpg"], "--png"),
    (["--dataset", "digits", "--new-classes", "8,9", "--boards", "esp99"], "esp99"),
])
def test_learn_argument_errors(tmp_path, monkeypatch, capsys, argv, match):
    monkeypatch.chdir(tmp_path)
    err = run_fail(capsys, ["learn"] + argv, match, rc_want=1)
    assert err.startswith("microlearn learn: error:")


def test_learn_help_has_a_runnable_example(capsys):
    assert cli.main(["learn", "--help"]) == 0
    assert "microlearn learn --dataset watch --user 3 --split same-arm" in capsys.readouterr().out


@pytest.fixture(scope="module")
def digits_new():
    from microlearn_host.learn import scenario
    return scenario.new_classes("digits", (8, 9))


def test_vectorized_head_predicts_as_the_twin(digits_new):
    """The curves evaluate the twin's head on whole test sets at once: it must give exactly
    LearnerTwin.predict's labels (argmax over int8 logits, first maximum)."""
    sc = digits_new
    o = curve.make_learners(sc, methods=("ours",))["ours"]
    for i in range(12):
        o.learn(sc.E_stream[i], int(sc.y_stream[i]))
    got = o.predict(sc.E_test)
    want = np.array([o.names.index(o.t.predict(e)[0]) for e in sc.E_test])
    np.testing.assert_array_equal(got, want)
    assert set(got.tolist()) >= {8, 9}  # the new classes are predicted at all


def test_learn_command_on_the_host_and_a_board(tmp_path, monkeypatch, capsys):
    """digits 0-7 -> 8,9: the curve, the PNG, and unix32's head == the twin's, every element."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["learn", "--dataset", "digits", "--new-classes", "8,9", "--png", "c.png",
                     "--boards", "unix32"]) == 0
    out = capsys.readouterr().out
    assert "labels/class" in out and "RAM bytes" in out
    assert "unix32: head after 160 remember() + 40 learn() calls == twin" in out, out
    with open("c.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_board_difference_is_named():
    from microlearn_host.learn.boards import first_difference
    assert first_difference("wm", [1, 2, 3], [1, 2, 3]) is None
    msg = first_difference("wm", [1, 5, 3, 7], [1, 2, 3, 4])
    assert msg == "wm[1] differs: board 5, twin 2 (2 of 4 elements differ)"


def test_bench_summary_arithmetic():
    """Gap closed = (learner - base) / (oracle - base) of the means; spread over runs."""
    from microlearn_host.bench import learning as bl
    rows = []
    for s, base, orc in ((1, 0.6, 1.0), (2, 0.8, 1.0)):
        for seed, o, bump in ((0, 0, 0.0), (1, 0, 0.1)):
            rows.append({"split": "same-arm", "subject": s, "seed": seed, "order": o,
                         "base": base, "oracle": orc, "ram": {"ours": 10, "knn": 5},
                         "acc": {"ours": [base + bump, 0.9], "knn": [0.5, 0.5]}})
    u = bl.summarize_users(rows, "same-arm")
    assert u["base"] == pytest.approx(0.7) and u["oracle"] == pytest.approx(1.0)
    ours = u["methods"]["ours"]
    np.testing.assert_allclose(ours["mean"], [0.75, 0.9])
    np.testing.assert_allclose(ours["gap"], [0.05 / 0.3, 0.2 / 0.3])
    np.testing.assert_allclose(ours["std"], [0.05, 0.0])  # runs (seed 0) 0.7, (seed 1) 0.8
    assert u["subjects"][1]["base"] == pytest.approx(0.6) and ours["ram"] == 10
