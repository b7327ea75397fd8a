"""Every tests/device/check_*.py script, unchanged, on every virtual board."""
import glob
import os

import pytest

from conftest import DEVICE_TESTS

SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(DEVICE_TESTS, "check_*.py")))


@pytest.mark.parametrize("script", SCRIPTS)
def test_device_script(script, target, run_device):
    run_device(target, script)
