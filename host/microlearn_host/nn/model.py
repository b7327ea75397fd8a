"""Sequential model: a list of layers, optional input normalisation, ending in logits.

The model takes RAW inputs: if mean/std are given (e.g. Dataset.mean/std) the
first step of forward() is (x - mean) / std. Keeping them in the model means the
saved file carries them, and the device applies the same step to raw sensor
values. The last layer's output is logits (no softmax layer): training uses
softmax cross-entropy on them and argmax needs no softmax on the device.
"""
from __future__ import annotations

import numpy as np

from .base import Layer
from .losses import softmax, softmax_cross_entropy


class Sequential:
    def __init__(self, layers: list[Layer], input_shape, seed: int = 0,
                 mean=None, std=None):
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        self.layers = list(layers)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.seed = int(seed)
        self.dtype = np.dtype(np.float32)
        self.class_names = None  # set when trained on a subset of a dataset's classes
        self.mean = self.std = None
        if (mean is None) != (std is None):
            raise ValueError("give both mean and std, or neither")
        if mean is not None:
            self.mean = np.asarray(mean, np.float32)
            self.std = np.asarray(std, np.float32)
            for name, a in (("mean", self.mean), ("std", self.std)):
                if np.broadcast_shapes(a.shape, self.input_shape) != self.input_shape:
                    raise ValueError(f"{name} shape {a.shape} does not broadcast to "
                                     f"input shape {self.input_shape}")
            if (self.std <= 0).any():
                raise ValueError("std must be > 0")
        # One independent generator per layer, all derived from `seed`: the same
        # seed gives the same initial weights and the same dropout masks.
        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(len(layers))]
        shape = self.input_shape
        for layer, rng in zip(self.layers, rngs):
            shape = layer.build(shape, rng)
        self.output_shape = shape

    # --- computation ---------------------------------------------------------
    def normalize(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        if self.mean is None:
            return x
        return (x - self.mean.astype(self.dtype)) / self.std.astype(self.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Raw input batch (N,) + input_shape -> logits (N, classes)."""
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"input per-sample shape {tuple(x.shape[1:])} != model input "
                             f"shape {self.input_shape}")
        x = self.normalize(x)
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Back-propagate d loss/d logits; fills every layer's grads. Returns
        the gradient w.r.t. the NORMALISED input."""
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def train_batch(self, x, y):
        """Forward + backward on one batch; returns (loss, number correct)."""
        logits = self.forward(x, training=True)
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.backward(dlogits)
        return loss, int((logits.argmax(axis=1) == y).sum())

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Logits for a batch of raw inputs, computed in chunks to bound memory."""
        outs = [self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(outs) if outs else np.zeros((0,) + self.output_shape, self.dtype)

    def predict_proba(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        return softmax(self.predict(x, batch_size))

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> dict:
        """{"loss": mean cross-entropy, "accuracy": fraction correct}."""
        logits = self.predict(x, batch_size)
        loss, _ = softmax_cross_entropy(logits, np.asarray(y))
        return {"loss": loss, "accuracy": float(np.mean(logits.argmax(axis=1) == y))}

    def fit(self, x, y, **kwargs):
        """See microlearn_host.nn.train.fit for the arguments."""
        from .train import fit
        return fit(self, x, y, **kwargs)

    # --- weights -------------------------------------------------------------
    def trainable(self):
        """(key, param, grad) for every weight, key "<layer index>.<name>"."""
        for i, layer in enumerate(self.layers):
            for name, p in layer.params.items():
                yield f"{i}.{name}", p, layer.grads.get(name)

    def get_weights(self) -> dict[str, np.ndarray]:
        return {k: p.copy() for k, p, _ in self.trainable()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        for i, layer in enumerate(self.layers):
            for name, p in layer.params.items():
                w = np.asarray(weights[f"{i}.{name}"])
                if w.shape != p.shape:
                    raise ValueError(f"weight {i}.{name}: shape {w.shape} != {p.shape}")
                p[...] = w  # in place, so an optimiser's references stay valid

    def cast(self, dtype) -> "Sequential":
        """Compute in `dtype` (float64 for gradient checks); returns self."""
        self.dtype = np.dtype(dtype)
        for layer in self.layers:
            layer.cast(dtype)
        return self

    def num_params(self) -> int:
        return sum(layer.num_params() for layer in self.layers)

    def summary(self) -> str:
        lines = [f"input {self.input_shape}" + (" (normalised)" if self.mean is not None else "")]
        for i, l in enumerate(self.layers):
            lines.append(f"{i:2d} {l!r:70s} -> {l.output_shape}  params {l.num_params()}")
        lines.append(f"total params {self.num_params()}")
        return "\n".join(lines)
