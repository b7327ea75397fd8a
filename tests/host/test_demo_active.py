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
    argv = ["--board", "unix", "--passes", "1", "--out", str(tmp_path), *extra]
    if argv.count("--board") > 1:  # the test's own board wins
        i = argv.index("--board")
        del argv[i:i + 2]
    return p.parse_args(argv)


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


def test_demo_on_the_emulated_rp2040(tmp_path, capsys):
    """make demo's board (m0): the app's run, its saved state restored, board == twin."""
    assert demo.main(_args(tmp_path, "--board", "m0")) == 0
    out = capsys.readouterr().out
    assert "m0: w8, wm, bias, bm == twin, every element" in out
    n = int(out.split("after ")[1].split()[0])  # answers learned
    assert n > 10 and f"the saved state has {n} steps" in out


def test_wrong_answers_are_learned_as_given(tmp_path, capsys):
    assert demo.main(_args(tmp_path, "--errors", "0.2", "--every", "3")) == 0
    out = capsys.readouterr().out
    assert "(a wrong answer)" in out
    assert "w8, wm, bias, bm == twin, every element" in out


def test_errors_out_of_range(tmp_path):
    with pytest.raises(ValueError, match="share of wrong answers"):
        demo.main(_args(tmp_path, "--errors", "1.5"))


def test_interactive_keys_are_the_button(tmp_path, capsys):
    """demo --interactive with keys sent as a person would type them: c answers yes."""
    args = _args(tmp_path, "--interactive", "--period", "300", "--every", "1")
    keys = [(1.5, "c"), (1.0, "c"), (1.0, "c"), (4.0, "q")]
    assert demo.interactive(args, keys=keys) == 0
    out = capsys.readouterr().out
    assert out.count("Is it") >= 3 and "[true: " in out
    learned = [l for l in out.splitlines() if l.startswith("learned ") and "answers)" in l]
    assert len(learned) >= 2, out[-2000:]
    assert "learned %d answers" % int(learned[-1].split("(")[1].split()[0]) in out


def test_interactive_needs_a_unix_port(tmp_path):
    with pytest.raises(ValueError, match="Unix port"):
        demo.interactive(_args(tmp_path, "--interactive", "--board", "m0"))


def test_terminal_keys_go_through_one_by_one():
    """The terminal path of --interactive on a pseudo-terminal: keys need no Enter, q ends.
    The keys are typed after the terminal is in cbreak mode: setcbreak flushes what came
    before, as it should for a person's stray keys."""
    import os
    import subprocess
    import termios
    import threading
    import time
    master, slave = os.openpty()
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    before = termios.tcgetattr(slave)
    tty_in = os.fdopen(slave, "rb", buffering=0)
    t = threading.Thread(target=demo._terminal_keys, args=(proc, tty_in), daemon=True)
    t.start()
    time.sleep(0.5)
    os.write(master, b"cnd q")
    t.join(timeout=20)
    finished = not t.is_alive()
    if not finished:
        os.close(master)  # the read in the thread ends with an error: no hang
    assert finished, "the keys did not get through"
    assert termios.tcgetattr(tty_in.fileno()) == before  # the terminal is given back
    proc.stdin.close()
    assert proc.stdout.read() == b"cnd q"
    proc.wait()
    tty_in.close()
    os.close(master)
