"""Adam optimiser (Kingma & Ba 2015) with bias correction, updating weights in place."""
from __future__ import annotations

import numpy as np


class Adam:
    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-7):  # eps as Keras, so results compare with Keras runs
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self._m: dict = {}
        self._v: dict = {}

    def step(self, params_and_grads) -> None:
        """params_and_grads: iterable of (key, param_array, grad_array)."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # Bias correction folded into the step size (same result, fewer ops).
        lr_t = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for key, p, g in params_and_grads:
            g = g.astype(p.dtype, copy=False)
            if key not in self._m:
                self._m[key] = np.zeros_like(p)
                self._v[key] = np.zeros_like(p)
            m, v = self._m[key], self._v[key]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            # In place: the layer's array object stays the same one.
            p -= (lr_t * m / (np.sqrt(v) + self.eps)).astype(p.dtype, copy=False)
