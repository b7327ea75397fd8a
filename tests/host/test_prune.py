"""Pruning: structured pruning really shrinks the exported model; unstructured hits its target."""
import numpy as np
import pytest

from microlearn_host import nn, pipeline
from microlearn_host.convert import evaluate as ev, prune, ptq


@pytest.fixture(scope="module")
def trained():
    return pipeline.train_default("digits", seed=0)


def test_structured_pruning_shrinks_and_runs(trained):
    model, ds = trained
    small = prune.prune_structured(model, ds.x_train, ds.y_train, 0.5, epochs=3)
    # 16->8 and 32->16 filters, dense input 128->64: (8*9+8) + (16*72+16) + (64*10+10)
    assert small.num_params() == 80 + 1168 + 650 < model.num_params() / 3
    assert [l.params["W"].shape for l in small.layers if "W" in l.params] == \
        [(8, 3, 3, 1), (16, 3, 3, 8), (10, 64)]
    qm = ptq.quantize(small, ds.x_train, ds.class_names)
    assert ev.qmodel_bytes(qm)["total"] < ev.qmodel_bytes(
        ptq.quantize(model, ds.x_train))["total"] / 2
    acc = ev.accuracy(ev.int8_predict(qm, ds.x_test), ds.y_test)
    assert acc >= 0.9  # measured 95.5% (unpruned 98.5%)


def test_shrink_without_pruning_is_the_same_function(trained):
    """fraction 0 keeps every channel: same outputs, so the slicing bookkeeping
    (incl. the NHWC flatten index map) is right."""
    model, ds = trained
    same = prune.shrink(model, 0.0)
    np.testing.assert_allclose(same.predict(ds.x_test[:20]), model.predict(ds.x_test[:20]),
                               rtol=1e-5, atol=1e-5)


def test_shrink_slices_next_layer_inputs_exactly():
    """Zeroed filters removed by shrink leave the function unchanged."""
    rng = np.random.default_rng(1)
    m = nn.Sequential([nn.Conv2D(4, 3, padding="same", activation="relu"),
                       nn.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
                       nn.Conv2D(6, 1, activation="relu"), nn.MaxPool2D(2),
                       nn.Flatten(), nn.Dense(5, activation="relu"), nn.Dense(3)],
                      input_shape=(4, 4, 2), seed=3)
    for i, n in ((0, 4), (2, 6), (5, 5)):  # kill the smallest half of each layer's units
        w = m.layers[i].params["W"]
        w *= 0.01
        w[: n // 2] *= 100
        w[n // 2:] = 0
        m.layers[i].params["b"][n // 2:] = 0
    x = rng.normal(size=(8, 4, 4, 2)).astype(np.float32)
    s = prune.shrink(m, 0.5)
    assert s.layers[0].filters == 2 and s.layers[2].filters == 3 and s.layers[5].units == 2
    np.testing.assert_allclose(s.predict(x), m.predict(x), rtol=1e-5, atol=1e-6)


def test_unstructured_reaches_target_sparsity(trained):
    model, ds = trained
    for target in (0.5, 0.8):
        p = prune.prune_unstructured(model, ds.x_train, ds.y_train, target, epochs=3)
        for layer in p.layers:
            if "W" in layer.params:
                assert abs(np.mean(layer.params["W"] == 0) - target) < 0.01
        assert p.num_params() == model.num_params()
        assert prune.sparse_bytes(p) < prune.sparse_bytes(model)
    # original untouched (pruning works on a copy)
    assert prune.sparsity(model) == 0.0
    acc = ev.accuracy(ev.float_predict(
        prune.prune_unstructured(model, ds.x_train, ds.y_train, 0.5, epochs=4),
        ds.x_test), ds.y_test)
    assert acc >= 0.95


def test_tradeoff_table(trained):
    model, ds = trained
    rows = prune.tradeoff_table(model, ds, sparsities=(0.5,), fractions=(0.5,), epochs=2)
    assert [r["method"] for r in rows] == ["none", "unstructured", "structured"]
    assert rows[2]["bytes"] < rows[0]["bytes"] and rows[1]["nonzero"] < rows[0]["nonzero"]
    text = prune.format_table(rows)
    assert "structured" in text and len(text.splitlines()) == 4


def test_bad_amounts_raise(trained):
    model, ds = trained
    with pytest.raises(ValueError):
        prune.shrink(model, 1.0)
    with pytest.raises(ValueError):
        prune.magnitude_masks(model, -0.1)
