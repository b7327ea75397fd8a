"""The same-arm against other-arm table (bench/tradeoff.py): its verdicts from canned
summaries, its place in docs/benchmarks.md, and one real run of the twin on one subject."""
import numpy as np
import pytest

from microlearn_host.bench import learning, tradeoff
from microlearn_host.learn import curve


def _summary(base, oracle, at5, at20):
    mean = np.array([base, base, at5, at5, at20])  # budgets 1, 2, 5, 10, 20
    gap = (mean - base) / (oracle - base) if oracle > base else np.full(5, np.nan)
    return {"base": base, "oracle": oracle, "n": 30, "subjects": {s: {} for s in range(10)},
            "methods": {"ours": {"mean": mean, "gap": gap}}}


def test_verdicts():
    assert list(curve.BUDGETS) == [1, 2, 5, 10, 20]  # _summary's layout
    both = ("both", _summary(0.80, 0.90, 0.855, 0.881), _summary(0.86, 0.77, 0.86, 0.861))
    short = ("short", _summary(0.80, 0.90, 0.855, 0.879), _summary(0.86, 0.77, 0.87, 0.87))
    hurts = ("hurts", _summary(0.80, 0.90, 0.86, 0.89), _summary(0.86, 0.77, 0.86, 0.859))
    text = tradeoff.render([both, short, hurts])
    rows = {l.split(" | ")[0][2:]: l for l in text.splitlines() if l.startswith("| ")}
    assert rows["both"] == "| both | 85.5 (55%) | 88.1 (81%) | 86.0 (+0.0) | 86.1 (+0.1) | yes |"
    assert rows["short"].endswith("| 87.9 (79%) | 87.0 (+1.0) | 87.0 (+1.0) | no |")
    assert rows["hurts"].endswith("| 85.9 (-0.1) | no |")
    assert "10 leave-one-subject-out subjects x 3 base seeds" in text
    assert "loses 9.0 points on the other arm" in text


def test_update_doc_inserts_then_replaces(tmp_path):
    from microlearn_host.bench import learner_cost
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# B\n\n%s\n\nlearning\n\n%s\n\ncost table\n\n## Next\n\nkept\n"
                   % (learning.TITLE, learner_cost.TITLE))
    tradeoff.update_doc(tradeoff.TITLE + "\n\nfirst\n", str(doc))
    t = doc.read_text()
    assert t.index("first") < t.index(learner_cost.TITLE) and "cost table" in t
    tradeoff.update_doc(tradeoff.TITLE + "\n\nsecond\n", str(doc))
    t = doc.read_text()
    assert "first" not in t and t.count(tradeoff.TITLE) == 1
    assert t.index("second") < t.index(learner_cost.TITLE) and t.endswith("## Next\n\nkept\n")
    bare = tmp_path / "bare.md"
    bare.write_text("# B\n")
    with pytest.raises(ValueError, match="no learning section"):
        tradeoff.update_doc("x", str(bare))


def test_one_subject_runs_on_the_twin():
    prepared = learning.prepare_users(seeds=(0,), subjects=[3], log=lambda *a: None)
    (label, same, other), = tradeoff.measure(prepared, variants=tradeoff.VARIANTS[:1],
                                             log=lambda *a: None)
    m = same["methods"]["ours"]["mean"]
    assert same["n"] == other["n"] == 1
    assert 0 < same["base"] < 1 and m[-1] > same["base"]  # 20 labels per class help that arm
