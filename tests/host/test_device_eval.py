"""The trained, quantized digits model on every board, over the whole test split:
every output byte equals the numpy reference (itself bit-exact with tflite-micro)."""
import numpy as np
import pytest

from microlearn_host import pipeline
from microlearn_host.bench import models as bench_models
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
    # every virtual board measures: microseconds here, instructions on QEMU (m3 too)
    assert res["unit"] in ("us", "instructions") and res["per_predict"] > 0, res["unit"]
    assert device_eval.speed(res).split()[0].replace(".", "").isdigit(), device_eval.speed(res)


def test_mismatch_names_sample_and_element(digits_qmodel):
    qm, ds = digits_qmodel
    res = device_eval.run(qm, ds.x_test[:5], "unix")
    res["outputs"] = res["outputs"].copy()
    res["outputs"][3, 7] ^= 1
    with pytest.raises(device_eval.DeviceMismatch, match="1 of 5 samples; first: sample 3 element 7"):
        device_eval.compare(qm, res, "unix")


def test_dscnn_300_samples_on_m0_streams_outputs():
    """A DS-CNN-sized model (file ~20 KB, arena ~16 KB) over 300 samples in one m0 run: the board
    keeps no outputs (it ran out of heap at the end when it did), the host gets each as it comes."""
    qm = bench_models.ds_cnn()
    x = np.random.default_rng(0).uniform(-3, 3, size=(300, 49, 10, 1)).astype(np.float32)
    seen = []
    res = device_eval.run(qm, x, "m0", progress=lambda done, total: seen.append((done, total)))
    device_eval.compare(qm, res, "m0")
    assert res["outputs"].shape == (300, 12) and res["runs"] == 1
    assert seen == [(k, 300) for k in range(1, 301)], seen[:5]
    assert res["heap_free"] > 16 * 1024, res["heap_free"]


def test_progress_only_when_asked(digits_qmodel, capsys, monkeypatch):
    qm, ds = digits_qmodel
    monkeypatch.delenv("MICROLEARN_PROGRESS", raising=False)
    device_eval.run(qm, ds.x_test[:5], "unix")  # stderr is no terminal under pytest: quiet
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("MICROLEARN_PROGRESS", "1")
    device_eval.run(qm, ds.x_test[:5], "unix")
    err = capsys.readouterr().err
    assert "unix: 5 samples" in err and "5/5" in err, err
    monkeypatch.setenv("MICROLEARN_PROGRESS", "0")
    device_eval.run(qm, ds.x_test[:5], "unix")
    assert capsys.readouterr().err == ""


def test_bench_stage_lines_only_when_asked(capsys, monkeypatch):
    from microlearn_host.bench import report
    monkeypatch.delenv("MICROLEARN_PROGRESS", raising=False)
    report.run_body("unix", "bench_dot.py")
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("MICROLEARN_PROGRESS", "1")
    report.run_body("unix", "bench_dot.py")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "bench: bench_dot on unix ..." and err[1].startswith("bench: bench_dot on unix: "), err
    assert err[1].endswith(" s"), err
