"""Quantization-aware fine-tuning: fake quantization, straight-through gradients, export."""
import numpy as np
import pytest

from microlearn_host import pipeline
from microlearn_host.convert import evaluate as ev, graph, prune, ptq, qat


def test_fake_quant_lands_on_the_int8_grid():
    x = np.linspace(-3, 5, 1001).astype(np.float32)
    y, inside = qat.fake_quant(x, -1.0, 2.0)
    scale, zp = ptq.activation_params(-1.0, 2.0)
    q = np.round(y / scale) + zp
    np.testing.assert_allclose(y, (q - zp) * scale, atol=1e-6)
    assert q.min() == -128 and q.max() == 127
    # clipped values get no gradient (STE only inside the range)
    assert not inside[x < -1.01].any() and not inside[x > 2.01].any()
    assert inside[(x > -0.99) & (x < 1.99)].all()


def test_fake_quant_weights_per_channel():
    w = np.array([[0.1, -0.2, 0.05], [10.0, 3.3, -7.0]], np.float32)
    fq = qat.fake_quant_weights(w, 0)
    steps = np.abs(w).max(axis=1, keepdims=True) / 127
    assert (np.abs(fq - w) <= steps / 2 + 1e-7).all()


@pytest.fixture(scope="module")
def trained():
    return pipeline.train_default("digits", seed=0)


def test_batch_keeps_float_weights_and_fills_grads(trained):
    model, ds = trained
    m = prune.clone(model)
    state = qat.QATState(m, ptq.observe_ranges(m, ds.x_train[:500]))
    before = m.get_weights()
    loss, correct = state.batch(ds.x_train[:32], ds.y_train[:32])
    assert np.isfinite(loss) and 0 <= correct <= 32
    for k, w in m.get_weights().items():
        np.testing.assert_array_equal(w, before[k])  # restored after the fake-quant pass
    for layer in m.layers:
        for name in layer.params:
            assert np.isfinite(layer.grads[name]).all()


def test_qat_exports_with_learned_ranges_and_keeps_accuracy(trained):
    model, ds = trained
    m = prune.clone(model)
    qm, ranges = qat.qat(m, ds.x_train, ds.y_train, ds.class_names, epochs=2)
    points = graph.quant_points(m)
    assert set(ranges) == {"input", *points}
    # The int8 model uses exactly the ranges QAT trained with.
    blocks = [b for b in graph.plan(m)]
    for b, L in zip(blocks, qm.layers):
        if b.range_idx is not None:
            assert (L.out_scale, L.out_zp) == ptq.activation_params(*ranges[b.range_idx])
    fa = ev.accuracy(ev.float_predict(model, ds.x_test), ds.y_test)
    qa = ev.accuracy(ev.int8_predict(qm, ds.x_test), ds.y_test)
    assert qa >= fa - 0.01, (fa, qa)
