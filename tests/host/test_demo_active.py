"""`microlearn demo` (learn/demo.py): the app on a board with a simulated user, every learned
weight checked against the twin (the demo raises at the first difference), its report and
plot; a wrong answer share out of range is refused."""
import argparse

import pytest

from microlearn_host import cli
from microlearn_host.learn import demo


def _args(tmp_path, *extra):
    p = argparse.ArgumentParser()
    cli._args_demo(p)
    return p.parse_args(["--board", "unix", "--passes", "1", "--out", str(tmp_path), *extra])


def _accuracy(out):
    line = next(l for l in out.splitlines() if l.strip().startswith("accuracy before"))
    return [float(w.rstrip("%,")) for w in line.split()
            if w.rstrip("%,").replace(".", "").isdigit()][:2]


def test_demo_on_unix(tmp_path, capsys):
    assert demo.main(_args(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "w8, wm, bias, bm == twin, every element" in out
    assert (tmp_path / "active-user3.png").stat().st_size > 10000
    before, after = _accuracy(out)
    assert after > before + 5  # right answers to its questions teach the board


def test_wrong_answers_are_learned_as_given(tmp_path, capsys):
    assert demo.main(_args(tmp_path, "--errors", "0.2", "--every", "3")) == 0
    out = capsys.readouterr().out
    assert "(a wrong answer)" in out
    assert "w8, wm, bias, bm == twin, every element" in out


def test_errors_out_of_range(tmp_path):
    with pytest.raises(ValueError, match="share of wrong answers"):
        demo.main(_args(tmp_path, "--errors", "1.5"))
