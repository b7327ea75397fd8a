"""Layer base class, fused activations and weight initialisation.

Every layer keeps its weights in TFLite's layout from the start, so export is a
copy and never a transpose that could silently go wrong. Arrays are NHWC with
the batch first; shapes stored on layers (input_shape/output_shape) exclude it.
Layers compute in the dtype of their input (float32 for training, float64 for
gradient checks: call cast(np.float64) first so the weights match).
"""
from __future__ import annotations

import numpy as np

ACTIVATIONS = (None, "relu", "relu6")


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b with the same float rounding on every machine.

    `@` goes to BLAS, whose kernels (chosen per CPU at run time: Haswell, SkylakeX, ...)
    sum in different orders: with the same seed, spoken-digits trained to 98.00% with
    OpenBLAS's Haswell kernels and 98.22% with its SkylakeX ones on one machine.
    np.einsum (optimize=False) runs numpy's own loops, whose order does not depend on
    the CPU; our matrices are small, so the cost is modest (see nn/train.py).
    """
    return np.einsum("ik,kj->ij", a, b, optimize=False)


def check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def activate(z: np.ndarray, activation) -> np.ndarray:
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "relu6":
        return np.clip(z, 0, 6)
    return z


def activation_grad(dy: np.ndarray, y: np.ndarray, activation) -> np.ndarray:
    """d loss/d pre-activation from the activation's OUTPUT y (no need to keep z)."""
    if activation == "relu":
        return dy * (y > 0)
    if activation == "relu6":
        return dy * ((y > 0) & (y < 6))
    return dy


def init_uniform(rng: np.random.Generator, shape, fan_in: int, fan_out: int, activation):
    """He-uniform before a ReLU (keeps activation variance), Glorot-uniform otherwise."""
    if activation in ("relu", "relu6"):
        limit = np.sqrt(6.0 / fan_in)
    else:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


class Layer:
    """Base class. Subclasses set `kind` and implement the hooks below.

    After build(): input_shape, output_shape (per sample), params (name ->
    array in TFLite layout), grads (same names, filled by backward).
    """

    kind = "layer"

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None

    # --- hooks ---------------------------------------------------------------
    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def init_params(self, rng: np.random.Generator) -> None:
        pass

    def get_config(self) -> dict:
        """Constructor keyword arguments, JSON-serialisable (also what export reads)."""
        return {}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. the input of the last forward; fills self.grads."""
        raise NotImplementedError

    # --- shared --------------------------------------------------------------
    def build(self, input_shape, rng: np.random.Generator) -> tuple:
        self.input_shape = tuple(int(d) for d in input_shape)
        self.output_shape = tuple(int(d) for d in self.compute_output_shape(self.input_shape))
        self.rng = rng
        self.init_params(rng)
        return self.output_shape

    def weights(self) -> dict[str, np.ndarray]:
        """Weights in TFLite layout (W then b), for export."""
        return dict(self.params)

    def cast(self, dtype) -> None:
        for k in self.params:
            self.params[k] = self.params[k].astype(dtype)

    def _p(self, name: str, dtype) -> np.ndarray:
        """Parameter in the compute dtype (no copy when it already matches)."""
        return self.params[name].astype(dtype, copy=False)

    def num_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self):
        cfg = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({cfg})"
