"""Parameter-free layers: Flatten, ReLU, ReLU6, Dropout."""
from __future__ import annotations

import numpy as np

from .base import Layer, activate, activation_grad


class Flatten(Layer):
    """(H, W, C) -> (H*W*C,) in C order, i.e. NHWC order, which is what a TFLite
    RESHAPE gives, so the Dense weights after it need no permutation on export."""

    kind = "flatten"

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(self._shape)


class _Activation(Layer):
    activation = None

    def forward(self, x, training=False):
        self._y = activate(x, self.activation)
        return self._y

    def backward(self, dy):
        return activation_grad(dy, self._y, self.activation)


class ReLU(_Activation):
    kind = "relu"
    activation = "relu"


class ReLU6(_Activation):
    kind = "relu6"
    activation = "relu6"


class Dropout(Layer):
    """Inverted dropout: scales kept units by 1/(1-rate) while training, so
    inference (and export) is the identity and the layer can be dropped."""

    kind = "dropout"

    def __init__(self, rate: float = 0.5):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def get_config(self):
        return {"rate": self.rate}

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        # The layer's own generator (seeded at build) keeps training reproducible.
        keep = self.rng.random(x.shape) >= self.rate
        self._mask = keep.astype(x.dtype) / (1.0 - self.rate)
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask
