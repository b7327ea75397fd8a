"""The Learner cost table (bench/learner_cost.py) from canned board results: goals met and
not met, a failed run, the heap-flat table, and its place in the learning section."""
from microlearn_host.bench import learner_cost as lc
from microlearn_host.bench import learning


def _res(unit="instructions", predict=1000, learn=1500, heap=16224, alloc=(0, 0), flat=None):
    r = {"unit": unit, "model_classes": 8, "max_classes, slots": [12, 3], "learner_heap": heap,
         "learner_ram_bytes": 15964, "D": 128, "learn_new_class": 2000,
         "model_predict_int8": predict, "predict": predict, "learn": learn,
         "learn_alloc": alloc[0], "predict_alloc": alloc[1]}
    if flat is not None:
        r["flat_every"], r["flat_free"] = lc.EVERY, flat
    return r


def _rows(text, label):
    return [l for l in text.splitlines() if l.startswith("| %s |" % label)]


def test_goals_met():
    flat = [5000] * (lc.STEPS // lc.EVERY + 1)
    text = lc.render([("a", {"m0": _res(predict=1250000, learn=2000000),
                             "unix32": _res("us", 300, 600, flat=flat)})])
    m0, u32, fl = _rows(text, "a")
    assert m0.split(" | ")[1:4] == ["m0", "128", "8 / 12 / 3"]
    assert "| 1250000 instr (10.00 ms) | 2000000 instr (16.00 ms) | 1.60x: met |" in m0
    assert "| 0 / 0: met | met |" in m0 and "16224 B / 15964 B" in m0
    assert "| 300 us | 600 us | 2.00x: met |" in u32
    assert fl == "| a | 5000 B | +0, +0, +0, +0, +0 | met |"
    assert "not met" not in text


def test_goals_not_met():
    text = lc.render([("b", {"m0": _res(learn=2001, heap=lc.MAX_HEAP + 1, alloc=(16, 0)),
                             "unix32": _res("us", flat=[5000, 5000, 4990, 5000, 5000, 5000]),
                             "unix": _res("us", 100, 900, heap=lc.MAX_HEAP + 1)})])
    m0, u32, unix, fl = _rows(text, "b")
    assert "2.01x: **not met**" in m0  # 2.001 misses the goal: rounded up, not to 2.00
    assert m0.endswith("| 16 / 0: **not met** | **not met** |")
    assert "9.00x: no goal here" in unix  # the goal is set on m0 and unix32
    assert unix.endswith("| 64-bit: no goal |")
    assert fl == "| b | 5000 B | +0, -10, +0, +0, +0 | **not met** |"


def test_failed_run_and_no_flat_run():
    text = lc.render([("c", {"m0": "OSError: no board"})])
    (row,) = _rows(text, "c")
    assert row.startswith("| c | m0 | run failed: OSError: no board |")
    assert row.count("|") == text.splitlines()[text.splitlines().index(row) - 1].count("|")
    assert "Not measured: no unix32 run." in text


def test_cost_subsection_is_replaced_with_the_learning_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n%s\n\nold\n\n%s\n\nold cost\n\n## Later\n\nkept\n"
                   % (learning.TITLE, lc.TITLE))
    learning.update_doc("%s\n\nnew\n\n%s\n\nnew cost\n" % (learning.TITLE, lc.TITLE), str(doc))
    text = doc.read_text()
    assert "old" not in text and text.count(lc.TITLE) == 1
    assert "new cost" in text and "## Later\n\nkept" in text
