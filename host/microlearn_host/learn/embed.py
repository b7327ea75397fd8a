"""The embedding a Learner adapts on: the int8 input of the model's last FULLY_CONNECTED,
computed with the host reference engine (bit-exact with tflite-micro and the device), and
the int8 head (that FC) as the device's FC kernel reads it."""
from __future__ import annotations

import numpy as np

from ..quant import qmath, reference
from ..quant.qmodel import prepare


def fc_index(qm) -> int:
    """Index of the last FULLY_CONNECTED, which must be followed by SOFTMAX only."""
    ops = [L.op for L in qm.layers]
    if len(ops) < 2 or ops[-1] != "SOFTMAX" or ops[-2] != "FULLY_CONNECTED":
        raise ValueError(f"a Learner needs a model ending in FULLY_CONNECTED + SOFTMAX; this "
                         f"one ends in {' + '.join(ops[-2:])} (quantize a float model that "
                         f"ends in a Dense layer: `microlearn quantize` appends the SOFTMAX)")
    return len(ops) - 2


def embeddings(qm, x_raw, batch_progress=None) -> tuple[np.ndarray, int]:
    """((N, D) int8 embeddings of raw inputs, their zero point)."""
    k = fc_index(qm)
    x = np.asarray(x_raw, np.float32)
    if tuple(x.shape[1:]) != tuple(qm.input_shape):
        raise ValueError(f"inputs have shape {tuple(x.shape[1:])}, the model takes "
                         f"{tuple(qm.input_shape)}")
    params = prepare(qm)
    xq = reference.quantize_input(qm, x)
    src = qm.layers[k].inputs[0]  # tensor id: 0 = model input, j = output of layer j-1
    out = np.empty((len(x), int(np.prod(qm.layers[k].weights.shape[1:]))), np.int8)
    for i, xi in enumerate(xq):
        out[i] = (xi if src == 0 else _upto(qm, xi, params, src)).reshape(-1)
        if batch_progress is not None:
            batch_progress(i + 1, len(x))
    return out, int(params[k]["in_zp"][0])


def _upto(qm, xi, params, src):
    tensors = [xi]
    for layer, p in zip(qm.layers[:src], params[:src]):
        y = reference.run_layer(layer, p, [tensors[t] for t in layer.inputs])
        tensors.append(y.reshape(p["out_shape"]))
    return tensors[src]


def head(qm) -> dict:
    """The base model's last FC as the Learner starts from it (int8/int32 arrays)."""
    k = fc_index(qm)
    p = prepare(qm)[k]
    L = qm.layers[k]
    n = L.weights.shape[0]
    src = L.inputs[0]
    return {"w8": L.weights.reshape(n, -1).astype(np.int8), "bias": L.bias.astype(np.int64),
            "mult": np.broadcast_to(np.asarray(p["mult"], np.int64), (n,)).copy(),
            "shift": np.broadcast_to(np.asarray(p["shift"], np.int64), (n,)).copy(),
            "zp_e": int(p["in_zp"][0]), "out_zp": int(L.out_zp),
            "act": (int(p["act_min"]), int(p["act_max"])),
            "e_scale": float(qm.input_scale if src == 0 else qm.layers[src - 1].out_scale),
            "w_scales": np.broadcast_to(np.asarray(L.w_scales, np.float64), (n,)).copy(),
            "names": [str(c) for c in qm.class_names]}


def logits(E, w8, bias, mult, shift, zp_e, out_zp, act=(-128, 127)) -> np.ndarray:
    """(N, n) int8 logits of the head on embeddings E, as TFLM's FC kernel computes them."""
    xe = np.asarray(E, np.int64) - zp_e
    acc = xe @ np.asarray(w8, np.int64).T + np.asarray(bias, np.int64)
    y = qmath.multiply_by_quantized_multiplier(acc, np.asarray(mult, np.int64),
                                               np.asarray(shift, np.int64)).astype(np.int64)
    return np.clip(y + out_zp, act[0], act[1]).astype(np.int8)
