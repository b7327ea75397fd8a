"""Fully connected layer: y = act(x @ W.T + b), W in TFLite FULLY_CONNECTED layout (out, in)."""
from __future__ import annotations

import numpy as np

from .base import Layer, activate, activation_grad, check_activation, init_uniform, matmul


class Dense(Layer):
    kind = "dense"

    def __init__(self, units: int, activation=None):
        super().__init__()
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation = check_activation(activation)

    def get_config(self):
        return {"units": self.units, "activation": self.activation}

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Dense needs a flat input (add Flatten or GlobalAvgPool), "
                             f"got per-sample shape {input_shape}")
        return (self.units,)

    def init_params(self, rng):
        n_in = self.input_shape[0]
        self.params["W"] = init_uniform(rng, (self.units, n_in), n_in, self.units, self.activation)
        self.params["b"] = np.zeros(self.units, np.float32)

    def forward(self, x, training=False):
        self._x = x
        self._y = activate(matmul(x, self._p("W", x.dtype).T) + self._p("b", x.dtype),
                           self.activation)
        return self._y

    def backward(self, dy):
        dz = activation_grad(dy, self._y, self.activation)
        self.grads["W"] = matmul(dz.T, self._x)
        self.grads["b"] = dz.sum(axis=0)
        return matmul(dz, self._p("W", dz.dtype))
