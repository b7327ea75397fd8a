"""Average / max pooling (TFLite semantics) and global average pooling, NHWC.

With SAME padding TFLite's AVERAGE_POOL_2D divides by the number of real
(in-bounds) pixels in each window, and MAX_POOL_2D never picks padding; both
are reproduced here so trained models and device kernels agree at the borders.
"""
from __future__ import annotations

import numpy as np

from .base import Layer
from .padding import check_padding, crop_nhwc, geometry, pad_nhwc, pair, window_slice


class _Pool2D(Layer):
    def __init__(self, pool_size=2, strides=None, padding="valid"):
        super().__init__()
        self.pool_size = pair(pool_size, "pool_size")
        # Keras/TFLite default: stride = pool size (non-overlapping windows).
        self.strides = pair(strides if strides is not None else self.pool_size, "strides")
        self.padding = check_padding(padding)

    def get_config(self):
        return {"pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} needs per-sample shape (H, W, C), "
                             f"got {input_shape}")
        oh, ow, self._pads = geometry(input_shape, self.pool_size, self.strides, self.padding)
        return (oh, ow, input_shape[2])

    def _taps(self):
        oh, ow, _ = self.output_shape
        for i in range(self.pool_size[0]):
            for j in range(self.pool_size[1]):
                yield window_slice(i, j, oh, ow, self.strides)


class AvgPool2D(_Pool2D):
    kind = "avg_pool2d"

    def build(self, input_shape, rng):
        out = super().build(input_shape, rng)
        # Real pixels per window (1, OH, OW, 1): padding is not counted.
        ones = pad_nhwc(np.ones((1,) + self.input_shape[:2] + (1,)), self._pads)
        self._count = sum(ones[sl] for sl in self._taps())
        return out

    def forward(self, x, training=False):
        xp = pad_nhwc(x, self._pads)
        self._xp_shape = xp.shape
        s = sum(xp[sl] for sl in self._taps())
        return s / self._count.astype(x.dtype)

    def backward(self, dy):
        g = dy / self._count.astype(dy.dtype)
        dxp = np.zeros(self._xp_shape, dy.dtype)
        for sl in self._taps():
            dxp[sl] += g
        return crop_nhwc(dxp, self._pads)


class MaxPool2D(_Pool2D):
    kind = "max_pool2d"

    def forward(self, x, training=False):
        xp = pad_nhwc(x, self._pads, value=-np.inf)
        self._xp_shape = xp.shape
        stack = np.stack([xp[sl] for sl in self._taps()])  # (taps, N, OH, OW, C)
        # Ties go to the first tap, like an argmax; only the winner gets gradient.
        self._arg = stack.argmax(axis=0)
        return np.take_along_axis(stack, self._arg[None], axis=0)[0]

    def backward(self, dy):
        dxp = np.zeros(self._xp_shape, dy.dtype)
        for k, sl in enumerate(self._taps()):
            dxp[sl] += dy * (self._arg == k)
        return crop_nhwc(dxp, self._pads)


class GlobalAvgPool(Layer):
    """Mean over H and W: (H, W, C) -> (C,). Exported as TFLite MEAN over axes 1, 2."""

    kind = "global_avg_pool"

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"GlobalAvgPool needs per-sample shape (H, W, C), got {input_shape}")
        return (input_shape[2],)

    def forward(self, x, training=False):
        self._hw = x.shape[1:3]
        return x.mean(axis=(1, 2))

    def backward(self, dy):
        h, w = self._hw
        return np.broadcast_to(dy[:, None, None, :] / (h * w),
                               (dy.shape[0], h, w, dy.shape[1])).copy()


def MaxPool1D(pool_size: int = 2, strides=None, padding="valid"):
    """Pooling over time for (T, 1, C) inputs: a MaxPool2D with a (p, 1) window."""
    return MaxPool2D((pool_size, 1), None if strides is None else (strides, 1), padding)


def AvgPool1D(pool_size: int = 2, strides=None, padding="valid"):
    """Pooling over time for (T, 1, C) inputs: an AvgPool2D with a (p, 1) window."""
    return AvgPool2D((pool_size, 1), None if strides is None else (strides, 1), padding)
