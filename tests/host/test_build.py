"""The build is idempotent and the targets are what they claim to be."""
import subprocess

import pytest

from microlearn_host.board import profiles as boards
from microlearn_host.board.runner import run_script


def test_second_make_rebuilds_nothing():
    # `make -q` exits 0 only when every target is already up to date.
    files = ["build/unix/micropython", "build/unix32/micropython", "build/m0/firmware.elf", "build/m3/firmware.elf"]
    proc = subprocess.run(["make", "-q"] + files, cwd=boards.ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, "make targets would rebuild something:\n" + proc.stdout + proc.stderr


def test_targets_rebuild_when_the_build_script_changes():
    # -W: pretend tools/build_target.sh was just modified; -n: only print what would run.
    for name, f in (("unix", "build/unix/micropython"), ("unix32", "build/unix32/micropython"),
                    ("m0", "build/m0/firmware.elf"), ("m3", "build/m3/firmware.elf")):
        proc = subprocess.run(["make", "-n", "-W", "tools/build_target.sh", f], cwd=boards.ROOT,
                              capture_output=True, text=True)
        assert "tools/build_target.sh %s\n" % name in proc.stdout, \
            "%s does not depend on tools/build_target.sh:\n%s" % (f, proc.stdout + proc.stderr)


def test_target_properties(target, tmp_path):
    script = tmp_path / "props.py"
    script.write_text(
        "import sys, gc, json\n"
        "gc.collect()\n"
        "print('@@ ' + json.dumps({'result': 'p', 'value': [sys.maxsize > 2**31, repr(1/3),"
        " gc.mem_free() + gc.mem_alloc(), sys.implementation._mpy, sys.implementation.version[:3],"
        " sys.version]}))\n")
    res = run_script(target, str(script))
    assert res.ok, res.describe()
    big, third, heap, mpy, version, banner = res.values()["p"]
    prof = boards.load(target) if target != "user" else None
    if target == "user":
        return
    assert tuple(version) == (1, 26, 1)
    # The banner names MicroPython's version, not the commit of the repository around its source.
    assert "MicroPython v1.26.1 on " in banner, banner
    assert mpy & 0xFF == 6 and (mpy >> 8) & 3 == 3
    assert big == (prof["arch"] == "x64")
    # doubles print 1/3 with 16 digits; float32 builds with 7 or 8 (repr precision differs by port)
    if prof["arch"] == "x64":
        assert third == "0.3333333333333333"
    else:
        assert third in ("0.33333334", "0.3333333")
    words = 2 if prof["arch"] == "x64" else 1
    assert 0.9 * prof["heap_bytes"] * words <= heap <= 1.05 * prof["heap_bytes"] * words, heap
