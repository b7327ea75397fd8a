"""The app-cost table (bench/app_cost.py) from canned board results, and one real run of
device/scripts/bench_app.py on unix32."""
from microlearn_host.bench import app_cost as A


def _r(heap=60000, unit="instructions", learned=True, asked=True):
    return {"unit": unit, "app_heap": heap, "free": 100000, "idle_pass": 1000,
            "sample_pass": 12500000, "ask_pass": 12600000, "learn_pass": 13000000,
            "learned": learned, "asked": asked}


def test_rows_and_verdicts():
    text = A.render([("w", {"m0": _r(), "unix32": _r(150000, "us")}),
                     ("x", {"m0": "OSError: no board"})])
    rows = [l for l in text.splitlines() if l.startswith("| w |") or l.startswith("| x |")]
    assert rows[0] == ("| w | m0 | 60000 B (100000 B) | 1000 instr (0.01 ms) | 12500000 instr "
                       "(100.00 ms) | 12600000 instr (100.80 ms) | 13000000 instr (104.00 ms) "
                       "| met | see unix32 |")  # ESP32 fit: from the unix32 row
    assert rows[1].endswith("| met | **not met** |")  # 150 KB: RP2040 yes, ESP32 no
    assert "run failed: OSError: no board" in rows[2]
    assert "did not learn or ask" in A.render([("y", {"m0": _r(asked=False)})])


def test_the_body_runs_on_unix32():
    label, per = A.measure(targets=("unix32",), log=lambda *a: None)[0]
    r = per["unix32"]
    assert not isinstance(r, str), r
    assert r["learned"] and r["asked"] and r["unit"] == "us"
    assert 0 < r["app_heap"] < 194560
