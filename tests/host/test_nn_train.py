"""Training end to end: digits accuracy, seeded determinism, early stopping, save/load."""
import os
import time

import numpy as np
import pytest

from microlearn_host import nn
from microlearn_host.data import load


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def digits_cnn(ds, seed=0):
    """The default small digits CNN: 6,218 parameters."""
    return nn.Sequential([
        nn.Conv2D(16, 3, padding="same", activation="relu"), nn.MaxPool2D(2),
        nn.Conv2D(32, 3, padding="same", activation="relu"), nn.MaxPool2D(2),
        nn.Flatten(), nn.Dense(10)],
        input_shape=ds.input_shape, seed=seed, mean=ds.mean, std=ds.std)


@pytest.fixture(scope="module")
def trained(digits):
    model = digits_cnn(digits)
    t0 = time.perf_counter()
    hist = model.fit(digits.x_train, digits.y_train, validation_data=(digits.x_val, digits.y_val),
                     epochs=15, batch_size=32, lr=3e-3, seed=0, verbose=False)
    return model, hist, time.perf_counter() - t0


def test_digits_cnn_reaches_95_percent(digits, trained):
    model, hist, seconds = trained
    assert model.num_params() <= 8000
    acc = model.evaluate(digits.x_test, digits.y_test)["accuracy"]
    # Independent check of evaluate(): argmax of predict vs labels, counted here.
    pred = model.predict(digits.x_test).argmax(axis=1)
    assert acc == pytest.approx(np.mean(pred == digits.y_test))
    print(f"digits CNN: test accuracy {acc:.4f}, {len(hist.loss)} epochs in {seconds:.2f} s")
    assert acc >= 0.95
    assert seconds < 60  # measured ~1 s on 2 cores; a 60x margin for a loaded CI machine


def test_early_stopping_restores_best_weights(digits, trained):
    model, hist, _ = trained
    best = int(np.argmin(hist.val_loss))
    assert hist.best_epoch == best
    val = model.evaluate(digits.x_val, digits.y_val)
    assert val["loss"] == pytest.approx(hist.val_loss[best], rel=1e-6)


def test_early_stopping_stops():
    # Labels independent of the inputs: validation loss cannot keep improving.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 6)).astype(np.float32), rng.integers(0, 3, 200)
    model = nn.Sequential([nn.Dense(32, activation="relu"), nn.Dense(3)], input_shape=(6,))
    hist = model.fit(x[:150], y[:150], validation_data=(x[150:], y[150:]), epochs=200,
                     lr=1e-2, patience=3, verbose=False)
    assert hist.stopped_early and len(hist.loss) == hist.best_epoch + 1 + 3


def train_small(ds, seed):
    model = nn.Sequential([nn.Conv2D(4, 3, strides=2, padding="same", activation="relu6"),
                           nn.DepthwiseConv2D(3, padding="same", depth_multiplier=2,
                                              activation="relu"),
                           nn.AvgPool2D(2), nn.Dropout(0.2), nn.GlobalAvgPool(), nn.Dense(10)],
                          input_shape=ds.input_shape, seed=seed, mean=ds.mean, std=ds.std)
    model.fit(ds.x_train[:400], ds.y_train[:400], validation_data=(ds.x_val, ds.y_val),
              epochs=2, seed=seed, verbose=False)
    return model.get_weights()


def test_same_seed_identical_weights(digits):
    a, b, c = train_small(digits, 0), train_small(digits, 0), train_small(digits, 1)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert any(not np.array_equal(a[k], c[k]) for k in a)


def test_progress_bar_can_be_silenced(digits, capsys):
    model = nn.Sequential([nn.Flatten(), nn.Dense(10)], input_shape=(8, 8, 1))
    model.fit(digits.x_train[:64], digits.y_train[:64], epochs=1, verbose=False)
    assert capsys.readouterr().err == ""
    model.fit(digits.x_train[:64], digits.y_train[:64], epochs=1, verbose=True)
    assert "loss=" in capsys.readouterr().err


def test_save_load_round_trip(digits, trained, tmp_path):
    model, _, _ = trained
    path = tmp_path / "digits_model.npz"
    nn.save_model(model, path)
    again = nn.load_model(path)
    assert [l.kind for l in again.layers] == [l.kind for l in model.layers]
    assert [l.get_config() for l in again.layers] == [l.get_config() for l in model.layers]
    np.testing.assert_array_equal(again.mean, model.mean)
    np.testing.assert_array_equal(again.std, model.std)
    for k, w in model.get_weights().items():
        np.testing.assert_array_equal(again.get_weights()[k], w)
    np.testing.assert_array_equal(again.predict(digits.x_test), model.predict(digits.x_test))


def test_export_view_of_layers(trained):
    model, _, _ = trained
    conv = model.layers[0]
    assert conv.kind == "conv2d" and conv.weights()["W"].shape == (16, 3, 3, 1)
    assert conv.get_config()["padding"] == "same" and conv.get_config()["activation"] == "relu"
    assert model.layers[-1].weights()["W"].shape == (10, 128)


def resave(src, dst, **changes):
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            del arrays[k]
        else:
            arrays[k] = v
    with open(dst, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("changes,problem", [
    ({"layer0.W": np.zeros((16, 3, 3, 2), np.float32)}, "shape"),
    ({"layer5.b": None}, "missing"),
    ({"layer9.W": np.zeros(3, np.float32)}, "do not belong"),
    ({"format": np.array("something else")}, "format"),
    ({"architecture": np.array("{not json")}, "architecture JSON"),
    ({"architecture": np.array('{"version": 1, "input_shape": [8, 8, 1], '
                               '"layers": [{"kind": "lstm", "config": {}}]}')}, "unknown kind"),
    ({"mean": np.zeros(3, np.float32)}, "does not build"),
])
def test_load_mismatched_file(trained, tmp_path, changes, problem):
    model, _, _ = trained
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    nn.save_model(model, good)
    resave(good, bad, **changes)
    with pytest.raises(ValueError, match=problem) as e:
        nn.load_model(bad)
    assert str(bad) in str(e.value)


def test_load_non_npz(tmp_path):
    p = tmp_path / "x.npz"
    p.write_text("hello")
    with pytest.raises(ValueError, match="cannot read"):
        nn.load_model(p)


def test_conv1d_on_watch_windows_trains():
    ds = load("watch")
    model = nn.Sequential([nn.Conv1D(8, 5, strides=2, padding="same", activation="relu"),
                           nn.MaxPool1D(2), nn.Conv1D(16, 5, padding="same", activation="relu"),
                           nn.GlobalAvgPool(), nn.Dense(7)],
                          input_shape=ds.input_shape, seed=0, mean=ds.mean, std=ds.std)
    before = model.evaluate(ds.x_val, ds.y_val)["loss"]
    hist = model.fit(ds.x_train, ds.y_train, validation_data=(ds.x_val, ds.y_val),
                     epochs=2, lr=3e-3, verbose=False)
    assert min(hist.val_loss) < before


@pytest.mark.parametrize("kw, problem", [(dict(epochs=0), "epochs"), (dict(epochs=-3), "epochs"),
                                         (dict(batch_size=0), "batch_size"),
                                         (dict(batch_size=-32), "batch_size"),
                                         (dict(lr=0.0), "lr"), (dict(lr=-1e-3), "lr"),
                                         (dict(lr=float("inf")), "lr"), (dict(patience=0), "patience")])
def test_fit_refuses_bad_numbers(digits, kw, problem):
    model = nn.Sequential([nn.Flatten(), nn.Dense(10)], input_shape=(8, 8, 1))
    before = model.get_weights()
    with pytest.raises(ValueError, match=problem):
        model.fit(digits.x_train[:64], digits.y_train[:64], verbose=False, **kw)
    for k, v in model.get_weights().items():
        np.testing.assert_array_equal(v, before[k])


def test_fit_pins_blas_to_one_thread(digits, monkeypatch):
    """Training runs with one BLAS thread (a fixed summation order on every machine)."""
    from threadpoolctl import threadpool_info
    from microlearn_host.nn import train
    seen = []
    real = train._fit

    def spy(*a, **k):
        seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])
        return real(*a, **k)
    monkeypatch.setattr(train, "_fit", spy)
    model = nn.Sequential([nn.Flatten(), nn.Dense(10)], input_shape=(8, 8, 1))
    model.fit(digits.x_train[:64], digits.y_train[:64], epochs=1, verbose=False)
    assert seen and seen[0] and all(n == 1 for n in seen[0]), seen


_TRAIN_AND_HASH = """
import hashlib, numpy as np, threadpoolctl
from microlearn_host import nn
from microlearn_host.data import load
ds = load("digits")
m = nn.Sequential([nn.Conv2D(8, 3, padding="same", activation="relu"), nn.MaxPool2D(2),
                   nn.Flatten(), nn.Dense(10)], input_shape=ds.input_shape, seed=0,
                  mean=ds.mean, std=ds.std)
m.fit(ds.x_train[:300], ds.y_train[:300], epochs=2, seed=0, verbose=False)
arch = [i.get("architecture") for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
w = m.get_weights()
print(arch, hashlib.sha1(b"".join(w[k].tobytes() for k in sorted(w))).hexdigest())
"""


def test_training_does_not_depend_on_the_cpus_blas_kernels():
    """OpenBLAS picks its kernels per CPU (what differs between machines); forcing two
    different ones on this machine must give bit-identical weights."""
    import subprocess
    import sys
    host = os.path.join(os.path.dirname(__file__), "..", "..", "host")
    outs = []
    for core in ("Haswell", "Sandybridge"):
        env = dict(os.environ, OPENBLAS_CORETYPE=core, PYTHONPATH=os.path.abspath(host))
        r = subprocess.run([sys.executable, "-c", _TRAIN_AND_HASH], env=env, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout.split("] ")[-1].strip())
        assert core in r.stdout, f"OPENBLAS_CORETYPE={core} did not take: {r.stdout}"
    assert outs[0] == outs[1]


def _noise_task(seed=0):
    """Labels that validation cannot learn from (pure noise): val loss rises from epoch 1."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    return x, rng.integers(0, 2, 64), rng.normal(size=(32, 4)).astype(np.float32), \
        rng.integers(0, 2, 32)


def test_min_epochs_holds_early_stopping_back():
    x, y, xv, yv = _noise_task()
    m = nn.Sequential([nn.Dense(16, activation="relu"), nn.Dense(2)], input_shape=(4,))
    h = m.fit(x, y, validation_data=(xv, yv), epochs=30, patience=1, lr=3e-2, verbose=False)
    assert h.stopped_early and len(h.loss) < 8
    m = nn.Sequential([nn.Dense(16, activation="relu"), nn.Dense(2)], input_shape=(4,))
    h = m.fit(x, y, validation_data=(xv, yv), epochs=30, patience=1, lr=3e-2, verbose=False,
              min_epochs=10)
    assert len(h.loss) >= 10 and h.best_epoch >= 9


def test_cosine_schedule_and_augment_hook():
    x, y, _, _ = _noise_task()
    seen = []

    def aug(xb, rng):
        seen.append(len(xb))
        return xb + rng.normal(scale=0.01, size=xb.shape).astype(xb.dtype)
    m = nn.Sequential([nn.Dense(2)], input_shape=(4,))
    m.fit(x, y, epochs=3, batch_size=32, verbose=False, schedule="cosine", augment=aug)
    assert seen == [32, 32] * 3
    with pytest.raises(ValueError, match="schedule must be"):
        m.fit(x, y, epochs=1, verbose=False, schedule="step")
    with pytest.raises(ValueError, match="min_epochs must be an integer >= 0"):
        m.fit(x, y, epochs=1, verbose=False, min_epochs=-1)


def test_watch_augment_turns_accel_and_gyro_alike():
    from microlearn_host.data import watch
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 10, 1, 6)).astype(np.float32)
    out = watch.augment(x, np.random.default_rng(1), degrees=30, gain=0.0)
    # a rotation keeps each 3-axis vector's length; accel and gyro get the same rotation
    np.testing.assert_allclose(np.linalg.norm(out[..., :3], axis=-1),
                               np.linalg.norm(x[..., :3], axis=-1), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(out[..., 3:], axis=-1),
                               np.linalg.norm(x[..., 3:], axis=-1), rtol=1e-5)
    assert not np.allclose(out, x)
