"""Post-training int8 quantization: trained nn.Sequential + calibration data -> QModel.

Scheme (what TFLite's converter produces, so tflite-micro runs it unchanged):
  * weights: per output channel, symmetric, scale = max|w| / 127, zero point 0;
  * bias: int32 with scale in_scale * w_scale (so it adds straight into the
    int32 accumulator);
  * activations: per tensor, asymmetric int8, range observed on calibration
    data (min/max, or percentiles to ignore rare outliers), always containing
    0 so that zero padding and ReLU's 0 are exact;
  * pooling / RESHAPE share their input's scale and zero point (TFLM requires it);
  * a SOFTMAX (scale 1/256, zp -128) is appended after the logits.
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..quant.qmodel import SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP, QLayer, QModel, f32, prepare
from .graph import WEIGHTED, plan, quant_points

# Weight layouts: the output channel axis (DEPTHWISE keeps channels last).
_CHANNEL_AXIS = {"FULLY_CONNECTED": 0, "CONV_2D": 0, "DEPTHWISE_CONV_2D": 3}


def quantize_weights(w: np.ndarray, axis: int = 0):
    """(int8 weights, float64 scales per channel along `axis`).

    An all-zero channel (e.g. pruned) gets scale 1/127: any positive scale
    represents zeros exactly, and a sane one keeps its bias representable.
    """
    w = np.asarray(w, np.float64)
    red = tuple(a for a in range(w.ndim) if a != axis)
    maxabs = np.abs(w).max(axis=red)
    scales = np.where(maxabs > 0, maxabs / 127.0, 1.0 / 127.0)
    # Round with the float32 scale the .tflite file will store, so dequantizing
    # with the file's scale gives the closest int8 value.
    scales = scales.astype(np.float32).astype(np.float64)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(b: np.ndarray, in_scale: float, w_scales: np.ndarray) -> np.ndarray:
    s = f32(in_scale) * np.asarray(w_scales, np.float64)
    q = np.round(np.asarray(b, np.float64) / s)
    return np.clip(q, -(2 ** 31), 2 ** 31 - 1).astype(np.int32)


def activation_params(lo: float, hi: float):
    """(scale, zero point) of an asymmetric int8 tensor covering [lo, hi] and 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-8:  # a dead tensor: any scale works, keep it finite
        hi = lo + 1e-8
    scale = (hi - lo) / 255.0
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return f32(scale), zp


def _range(v: np.ndarray, method: str, percentile: float):
    if method == "minmax":
        return float(v.min()), float(v.max())
    if method == "percentile":
        lo, hi = np.percentile(v, [100.0 - percentile, percentile])
        return float(lo), float(hi)
    raise ValueError(f"calibration method must be 'minmax' or 'percentile', got {method!r}")


def observe_ranges(model: nn.Sequential, x_calib, method: str = "minmax",
                   percentile: float = 99.99, batch_size: int = 256) -> dict:
    """{"input": (lo, hi), layer index: (lo, hi)} at every quantization point.

    The input always uses min/max: clipping real inputs would throw away
    information the device gets for free.
    """
    x_calib = np.asarray(x_calib, np.float32)
    if len(x_calib) == 0:
        raise ValueError("calibration set is empty")
    points = set(quant_points(model))
    seen = {"input": []}
    seen.update({i: [] for i in points})
    for s in range(0, len(x_calib), batch_size):
        h = model.normalize(x_calib[s:s + batch_size])
        seen["input"].append(h.ravel())
        for i, layer in enumerate(model.layers):
            h = layer.forward(h, training=False)
            if i in points:
                seen[i].append(h.ravel())
    out = {}
    for k, parts in seen.items():
        v = np.concatenate(parts)
        if not np.isfinite(v).all():
            raise ValueError(f"calibration produced NaN/inf at {k!r}: is the model trained?")
        out[k] = _range(v, "minmax" if k == "input" else method, percentile)
    return out


def _geometry_opts(layer) -> dict:
    cfg = layer.get_config()
    o = {"stride_h": int(cfg["strides"][0]), "stride_w": int(cfg["strides"][1]),
         "padding": cfg["padding"].upper()}
    if "pool_size" in cfg:
        o["filter_h"], o["filter_w"] = int(cfg["pool_size"][0]), int(cfg["pool_size"][1])
    if "depth_multiplier" in cfg:
        o["depth_multiplier"] = int(cfg["depth_multiplier"])
    return o


def quantize(model: nn.Sequential, x_calib=None, class_names=(), method: str = "minmax",
             percentile: float = 99.99, ranges: dict | None = None,
             max_samples: int = 2000, softmax: bool = True) -> QModel:
    """Quantize `model` to a QModel validated by quant.qmodel.prepare.

    x_calib: RAW inputs (the model normalises them itself); at most max_samples
    are used. ranges: precomputed {"input"/layer index: (lo, hi)} (e.g. learned
    by QAT); then x_calib may be None.
    """
    if ranges is None:
        if x_calib is None:
            raise ValueError("give calibration data (x_calib) or ranges")
        ranges = observe_ranges(model, np.asarray(x_calib)[:max_samples], method, percentile)
    in_scale, in_zp = activation_params(*ranges["input"])
    layers = []
    scale, zp = in_scale, in_zp
    for k, b in enumerate(plan(model)):
        layer = model.layers[b.layer_idx]
        if b.range_idx is not None:
            if b.range_idx not in ranges:
                raise ValueError(f"no activation range for layer {b.range_idx}")
            o_scale, o_zp = activation_params(*ranges[b.range_idx])
        else:
            o_scale, o_zp = scale, zp
        out_shape = tuple(layer.output_shape)
        L = QLayer(b.op, [k], out_shape, o_scale, o_zp, b.act)
        if b.op in WEIGHTED.values():
            w = layer.params["W"]
            L.weights, L.w_scales = quantize_weights(w, _CHANNEL_AXIS[b.op])
            L.bias = quantize_bias(layer.params["b"], scale, L.w_scales)
            if b.op != "FULLY_CONNECTED":
                L.opts = _geometry_opts(layer)
        elif b.op in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            L.opts = _geometry_opts(layer)
        elif b.op == "MEAN":
            L.out_shape = (1, 1, out_shape[0])
        layers.append(L)
        scale, zp = o_scale, o_zp
    if softmax:
        n = int(np.prod(layers[-1].out_shape))
        layers.append(QLayer("SOFTMAX", [len(layers)], layers[-1].out_shape,
                             SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP, opts={"beta": 1.0}))
        if len(layers[-1].out_shape) != 1 or n < 2:
            raise ValueError(f"model output {layers[-2].out_shape} is not a vector of logits")
    qm = QModel(tuple(model.input_shape), in_scale, in_zp, layers,
                mean=None if model.mean is None else np.array(model.mean, np.float32),
                std=None if model.std is None else np.array(model.std, np.float32),
                class_names=[str(c) for c in class_names])
    prepare(qm)  # fail here, with the layer named, rather than on the device
    return qm


def dequantize_weights(layer: QLayer) -> np.ndarray:
    """Float weights an int8 layer stands for (for checks and reports)."""
    axis = _CHANNEL_AXIS[layer.op]
    shape = [1] * layer.weights.ndim
    shape[axis] = -1
    return layer.weights.astype(np.float64) * np.asarray(layer.w_scales).reshape(shape)
