"""Quantization-aware fine-tuning: train through simulated int8 rounding, then PTQ.

During each batch the weights are replaced by their per-channel int8
round-trip and every tensor that will be int8 on the device (the input and the
output of each requantizing op, see graph.quant_points) is fake-quantized
with its current range. Gradients pass straight through the rounding
(straight-through estimator) but are zeroed where a value was clipped, so the
network learns to live inside its ranges. Ranges start from PTQ calibration
and follow an exponential moving average of batch min/max, as TF's QAT does.
The final ranges are handed to ptq.quantize, so the exported model uses
exactly the quantization the network was trained with.
"""
from __future__ import annotations

import numpy as np

from ..nn import softmax_cross_entropy
from . import ptq
from .finetune import finetune
from .graph import WEIGHTED, plan, quant_points


def fake_quant(x: np.ndarray, lo: float, hi: float):
    """(dequantized int8 round trip of x, mask of values inside the int8 range)."""
    scale, zp = ptq.activation_params(lo, hi)
    q = np.round(x / scale) + zp
    inside = (q >= -128) & (q <= 127)
    y = (np.clip(q, -128, 127) - zp) * scale
    return y.astype(x.dtype), inside


def fake_quant_weights(w: np.ndarray, axis: int) -> np.ndarray:
    q, s = ptq.quantize_weights(w, axis)
    shape = [1] * w.ndim
    shape[axis] = -1
    return (q.astype(np.float64) * s.reshape(shape)).astype(w.dtype)


class QATState:
    """Ranges per quantization point and the fake-quant forward/backward."""

    def __init__(self, model, ranges: dict, momentum: float = 0.99):
        self.model = model
        self.ranges = {k: tuple(v) for k, v in ranges.items()}
        self.momentum = momentum
        self.points = set(quant_points(model))
        self.weighted = {b.layer_idx: ptq._CHANNEL_AXIS[b.op] for b in plan(model)
                         if b.op in WEIGHTED.values()}
        self.masks = {}

    def _observe(self, key, h):
        lo, hi = self.ranges[key]
        m = self.momentum
        self.ranges[key] = (m * lo + (1 - m) * float(h.min()), m * hi + (1 - m) * float(h.max()))

    def batch(self, xb, yb):
        """Forward with fake quantization, backward with STE; fills grads."""
        model = self.model
        saved = {}
        for i, axis in self.weighted.items():
            w = model.layers[i].params["W"]
            saved[i] = w.copy()
            w[...] = fake_quant_weights(w, axis)
        try:
            # The input range is fixed (set from the data), never learned.
            h, _ = fake_quant(model.normalize(xb), *self.ranges["input"])
            for i, layer in enumerate(model.layers):
                h = layer.forward(h, training=True)
                if i in self.points:
                    self._observe(i, h)
                    h, self.masks[i] = fake_quant(h, *self.ranges[i])
            loss, dy = softmax_cross_entropy(h, yb)
            correct = int((h.argmax(axis=1) == yb).sum())
            for i in reversed(range(len(model.layers))):
                if i in self.points:
                    dy = dy * self.masks[i]
                dy = model.layers[i].backward(dy)
        finally:
            # Straight-through: the gradient computed at the rounded weights is
            # applied to the float weights.
            for i, w in saved.items():
                model.layers[i].params["W"][...] = w
        return loss, correct


def qat(model, x_train, y_train, class_names=(), epochs: int = 3, lr: float = 2e-4,
        batch_size: int = 32, seed: int = 0, momentum: float = 0.99, verbose: bool = False):
    """Fine-tune `model` in place with fake quantization; return (QModel, ranges)."""
    ranges = ptq.observe_ranges(model, np.asarray(x_train)[:2000])
    state = QATState(model, ranges, momentum)
    finetune(model, x_train, y_train, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
             batch_fn=state.batch, verbose=verbose)
    return ptq.quantize(model, ranges=state.ranges, class_names=class_names), state.ranges
