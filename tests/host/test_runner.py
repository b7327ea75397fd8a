"""The runner itself: results, tracebacks, timeouts without orphans, heap caps."""
import os
import subprocess
import textwrap
import time

import pytest

from microlearn_host.board import profiles as boards
from microlearn_host.board.runner import run_script


def _script(tmp_path, body):
    p = tmp_path / "script.py"
    p.write_text(textwrap.dedent(body))
    return str(p)


def _processes(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return set(out.split())


def test_results_and_files(target, tmp_path):
    script = _script(tmp_path, """
        from devtest import check, result, done
        with open("data.bin", "rb") as f:
            data = f.read()
        result("sum", sum(data))
        check("file staged", len(data) == 5000)
        done()
    """)
    res = run_script(target, script, files={"data.bin": bytes(range(250)) * 20})
    assert res.ok, res.describe()
    assert res.values()["sum"] == sum(range(250)) * 20
    assert not res.failed()


def test_traceback_is_reported(target, tmp_path):
    script = _script(tmp_path, """
        def inner():
            raise ValueError("bad thing 42")
        inner()
    """)
    res = run_script(target, script)
    assert res.status == "error"
    assert "ValueError: bad thing 42" in res.traceback
    assert "inner" in res.traceback


def test_timeout_kills_interpreter(target, tmp_path):
    script = _script(tmp_path, """
        import micropython
        @micropython.viper
        def spin():
            while True:  # viper: Ctrl-C cannot stop this, only a kill can
                pass
        print("spinning")
        spin()
    """)
    prof = boards.load(target) if target != "user" else None
    exe = os.environ.get("MICROPYTHON") if prof is None else (prof.get("binary") or prof.get("firmware"))
    before = _processes(exe)
    t0 = time.monotonic()
    res = run_script(target, script, timeout=4)
    assert res.status == "timeout", res.describe()
    assert time.monotonic() - t0 < 20
    time.sleep(0.2)
    assert _processes(exe) - before == set(), "interpreter left running"


def test_heap_cap(target, tmp_path):
    # The board budget is 190 KB: a 400 KB buffer must not fit anywhere.
    script = _script(tmp_path, """
        b = bytearray(400 * 1024)
        print("allocated")
    """)
    res = run_script(target, script)
    assert res.status == "error"
    assert "MemoryError" in res.traceback


def test_unknown_target():
    with pytest.raises(boards.BoardError, match="unknown board 'nope'"):
        run_script("nope", __file__)


def test_hardware_board_is_not_a_runner_target():
    with pytest.raises(boards.BoardError, match="real hardware"):
        run_script("esp32", __file__)


def test_cli_run_prints_results_readably(tmp_path, capsys):
    from microlearn_host import cli
    script = _script(tmp_path, """
        from devtest import check, result, done
        print("hello")
        result("answer", 42)
        result("name", "m0")
        check("two", 1 + 1 == 2)
        check("three", 1 + 1 == 3, "got 2")
        done()
    """)
    assert cli.main(["run", "unix", script]) == 1  # a failed check
    out = capsys.readouterr().out
    assert out.splitlines() == ["hello", "answer = 42", "name = m0", "check two ok",
                                "check three FAILED: got 2", "done: 1 passed, 1 failed"], out


@pytest.mark.parametrize("target", ["unix", "m0"])
def test_cli_run_timeout_is_one_clear_line(target, tmp_path, capsys):
    from microlearn_host import cli
    script = _script(tmp_path, """
        import micropython
        @micropython.viper
        def spin():
            while True:
                pass
        print("spinning")
        spin()
    """)
    assert cli.main(["run", target, script, "--timeout", "4"]) == 1
    cap = capsys.readouterr()
    assert cap.out == "spinning\n", cap.out
    assert cap.err.strip().splitlines() == [
        "microlearn run: error: %s on %s did not finish within 4 s (stopped it)" % (script, target)], cap.err
