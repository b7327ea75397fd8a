"""Every device module compiles with mpy-cross 1.26.1 for every board arch,
and files with native code carry that arch in their header."""
import glob
import os

import pytest

from microlearn_host.board import mpy
from microlearn_host.board.profiles import ARCHES
from microlearn_host.board.deploy import ARCH_CODES

ARCH_INDEX = {name: code for code, name in ARCH_CODES.items() if name}
SOURCES = sorted(glob.glob(os.path.join(mpy.DEVICE_DIR, "microlearn", "**", "*.py"), recursive=True))


@pytest.mark.parametrize("arch", ARCHES)
def test_device_package_compiles(arch):
    built = dict(mpy.device_package(arch))
    # the Thumb-only modules go to ARM boards only; everything else to every board
    want = {os.path.relpath(p, os.path.join(mpy.DEVICE_DIR))[:-3] + ".mpy" for p in SOURCES
            if arch in mpy.THUMB_ARCHES or os.path.basename(p) not in mpy.THUMB_ONLY}
    assert set(built) == want and len(want) > 0
    assert ("microlearn/kernels_thumb.mpy" in built) == (arch in ("armv6m", "armv7m"))
    native = 0
    for rel, path in built.items():
        with open(path, "rb") as f:
            head = f.read(4)
        assert head[:2] == b"M\x06", "%s: not an .mpy v6 file" % rel
        if head[2] >> 2:  # native code: arch and sub-version are in the header
            assert head[2] & 3 == 3, "%s: sub-version %d, MicroPython 1.26 wants 3" % (rel, head[2] & 3)
            native += 1
            assert head[2] >> 2 == ARCH_INDEX[arch], "%s: native arch %d" % (rel, head[2] >> 2)
    assert native >= 1, "no viper module compiled to native code for " + arch


def test_compile_error_names_the_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n")
    with pytest.raises(mpy.MpyError, match="bad.py"):
        mpy.compile_file(str(bad), "armv6m", str(tmp_path / "bad.mpy"))
    with pytest.raises(mpy.MpyError, match="unknown arch"):
        mpy.compile_file(str(bad), "z80", str(tmp_path / "bad.mpy"))
