"""Shared fixtures: the virtual boards device scripts run on.

TARGETS is every virtual board in boards/ (unix, unix32, m0, m3), plus "user"
when MICROPYTHON=/path/to/micropython names a Unix build of your own (for
example one with ulab). A target that is not built fails; it is never skipped.
"""
import os
import pytest

from microlearn_host.board import profiles as boards
from microlearn_host.board.runner import run_script

TARGETS = boards.virtual_names() + (["user"] if os.environ.get("MICROPYTHON") else [])
DEVICE_TESTS = os.path.join(boards.ROOT, "tests", "device")


@pytest.fixture(params=TARGETS)
def target(request):
    return request.param


@pytest.fixture
def run_device():
    """run_device(target, script, files=None, timeout=...) -> RunResult that must pass."""
    def run(target, script, files=None, timeout=300, expect_ok=True):
        path = script if os.path.isabs(script) else os.path.join(DEVICE_TESTS, script)
        res = run_script(target, path, files=files, timeout=timeout)
        if expect_ok:
            assert res.ok, res.describe()
            assert not res.failed(), res.describe()
            assert res.checks(), "device script ran no check\n" + res.describe()
            assert any(r.get("done") for r in res.results), "device script did not finish\n" + res.describe()
        return res
    return run
