"""The trained, quantized digits model on every board, over the whole test split:
every output byte equals the numpy reference (itself bit-exact with tflite-micro)."""
import numpy as np
import pytest

from microlearn_host import pipeline
from microlearn_host.board import device_eval
from microlearn_host.convert import ptq


@pytest.fixture(scope="module")
def digits_qmodel():
    model, ds = pipeline.train_default("digits", seed=0)
    return ptq.quantize(model, ds.x_train, ds.class_names), ds


def test_whole_test_split_matches_reference(digits_qmodel, target):
    qm, ds = digits_qmodel
    res = device_eval.run(qm, ds.x_test, target)
    want = device_eval.compare(qm, res, target)  # raises at the first differing byte
    assert res["outputs"].shape == (len(ds.y_test), 10)
    assert device_eval.accuracy(res["outputs"], ds.y_test) == device_eval.accuracy(want, ds.y_test)
    assert res["model_bytes"] > 0 and res["arena"] > 0
    assert res["per_predict"] > 0 or res["unit"] == "none"  # m3 has no clock


def test_mismatch_names_sample_and_element(digits_qmodel):
    qm, ds = digits_qmodel
    res = device_eval.run(qm, ds.x_test[:5], "unix")
    res["outputs"] = res["outputs"].copy()
    res["outputs"][3, 7] ^= 1
    with pytest.raises(device_eval.DeviceMismatch, match="1 of 5 samples; first: sample 3 element 7"):
        device_eval.compare(qm, res, "unix")
