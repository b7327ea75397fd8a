"""The app (device/microlearn/app.py) on real MicroPython builds: samples in, questions out,
a scripted user answering with the button alone; what the Learner learned is checked
against the samples' true classes."""
import os

import numpy as np
import pytest

from conftest import DEVICE_TESTS
from microlearn_host import modelfile
from microlearn_host.learn import active
from test_learner_twin import small_model

N = 10


def _files(undo, buttons=False):
    rng = np.random.default_rng(7)
    m = small_model(rng)
    x = rng.integers(-128, 128, size=(N, 16)).astype(np.int8)
    y = rng.integers(0, 6, size=N)
    return y, {"m.mlm": modelfile.write(m), "x.bin": x.tobytes(),
               "y.txt": " ".join(map(str, y)).encode(), "undo.txt": b"1" if undo else b"0",
               "buttons.txt": b"1" if buttons else b"0"}


@pytest.mark.parametrize("target", ["unix", "m0"])
def test_every_answer_is_learned_as_its_true_class(run_device, target):
    y, files = _files(False)
    v = run_device(target, os.path.join(DEVICE_TESTS, "app_flow.py"), files=files,
                   timeout=600).values()
    assert v["asked"] == y.tolist()  # every sample was asked about, in order
    assert v["learned"] == N and v["undos"] == 0
    assert v["seen"] == np.bincount(y, minlength=6).tolist()
    # the bench and the demo simulate the app's Learner with the host twin's GUARD
    assert v["guard"] == active.GUARD


def test_an_undone_answer_is_not_learned(run_device):
    y, files = _files(True)
    v = run_device("unix", os.path.join(DEVICE_TESTS, "app_flow.py"), files=files,
                   timeout=600).values()
    assert v["undos"] == 1 and v["learned"] == N - 1
    want = np.bincount(y[1:], minlength=6).tolist()  # the first answer was undone
    assert v["seen"] == want


def test_an_extra_next_button_walks_the_classes(run_device):
    """With a "next" button from the board profile, one click replaces each long press."""
    y, files = _files(False, buttons=True)
    v = run_device("unix", os.path.join(DEVICE_TESTS, "app_flow.py"), files=files,
                   timeout=600).values()
    assert v["learned"] == N and v["seen"] == np.bincount(y, minlength=6).tolist()
    assert v["next_presses"] > 0  # some answers were not the board's first guess
