"""Accuracy of float and int8 models, sizes in bytes, confusion matrices.

int8 predictions come from quant.reference (bit-exact with tflite-micro), one
sample at a time, exactly as a device would compute them.
"""
from __future__ import annotations

import numpy as np

from ..quant import reference
from ..quant.qmodel import prepare


def int8_outputs(qm, x, layer: int = -1) -> np.ndarray:
    """int8 output of `layer` for every raw sample in x -> (N, ...) int8."""
    x = np.asarray(x, np.float32)
    want = tuple(qm.input_shape)
    if tuple(x.shape[1:]) != want:
        raise ValueError(f"data per-sample shape {tuple(x.shape[1:])} does not match the "
                         f"model input {want}")
    params = prepare(qm)
    xq = reference.quantize_input(qm, x)
    return np.stack([reference.run(qm, xi, params)[layer] for xi in xq])


def int8_predict(qm, x) -> np.ndarray:
    """Class indices. Uses the int8 logits (the layer before SOFTMAX when there is
    one): softmax is monotone, and its 1/256 output step can tie two classes
    that the logits still separate."""
    layer = -2 if qm.layers[-1].op == "SOFTMAX" and len(qm.layers) > 1 else -1
    out = int8_outputs(qm, x, layer)
    return out.reshape(len(out), -1).argmax(axis=1)


def num_classes(qm) -> int:
    return int(np.prod(qm.layers[-1].out_shape))


def check_labels(y, n_classes: int, what: str = "labels") -> np.ndarray:
    from ..data.dataset import check_labels as _check
    return _check(y, n_classes, what, hint=f"; the model has {n_classes} classes")


def accuracy(pred, y) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(y))) if len(y) else float("nan")


def float_predict(model, x) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if tuple(x.shape[1:]) != tuple(model.input_shape):
        raise ValueError(f"data per-sample shape {tuple(x.shape[1:])} does not match the "
                         f"model input {tuple(model.input_shape)}")
    return model.predict(x).argmax(axis=1)


def confusion(pred, y, n_classes: int) -> np.ndarray:
    """(true, predicted) counts."""
    m = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(m, (np.asarray(y), np.asarray(pred)), 1)
    return m


def qmodel_bytes(qm) -> dict:
    """Bytes a device needs for the parameters: int8 weights, and per output
    channel an int32 bias, int32 multiplier and int32 shift (the format may
    pack shifts smaller; this is the upper bound used for comparisons)."""
    w = b = m = 0
    for L in qm.layers:
        if L.weights is not None:
            w += L.weights.size
            n = np.size(L.w_scales)
            b += 4 * n
            m += 8 * n
    return {"weights": w, "biases": b, "multipliers": m, "total": w + b + m}


def float_model_bytes(model) -> int:
    """Same estimate from a float model (what it will weigh after PTQ)."""
    total = 0
    for layer in model.layers:
        if "W" in layer.params:
            total += layer.params["W"].size + 12 * layer.params["b"].size
    return total
