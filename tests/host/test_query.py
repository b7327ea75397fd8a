"""The device's entropy table (microlearn.query._H) equals -p log2 p in 1/256 bits computed
here with CPython's math, on a real MicroPython build."""
import math
import os

from conftest import DEVICE_TESTS


def test_entropy_table(run_device):
    want = bytes([0] + [round(-(p / 256) * math.log2(p / 256) * 256) for p in range(1, 256)])
    run_device("unix", os.path.join(DEVICE_TESTS, "query_table.py"), files={"h.bin": want})
