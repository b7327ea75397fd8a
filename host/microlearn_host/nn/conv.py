"""2-D convolution (NHWC) via im2col + one matrix product; Conv1D is a Conv2D with W=1.

W has TFLite's CONV_2D layout (O, KH, KW, I), so the im2col columns are ordered
(kh, kw, c) to match W.reshape(O, -1) without any transpose of the weights.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, activate, activation_grad, check_activation, init_uniform, matmul
from .padding import check_padding, crop_nhwc, geometry, pad_nhwc, pair, window_slice


def im2col(xp: np.ndarray, kernel, strides, oh: int, ow: int) -> np.ndarray:
    """(N*OH*OW, KH*KW*C) patches of an already padded NHWC batch (one copy)."""
    kh, kw = kernel
    sh, sw = strides
    v = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))
    v = v[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw]  # (N, OH, OW, C, KH, KW)
    return v.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * xp.shape[3])


def col2im(dcols: np.ndarray, padded_shape, kernel, strides, oh: int, ow: int) -> np.ndarray:
    """Adjoint of im2col: sum each patch gradient back into the padded input.

    Loops over the KH*KW taps (small) rather than over pixels, so each step is
    one vectorised strided add.
    """
    kh, kw = kernel
    n, c = padded_shape[0], padded_shape[3]
    d = dcols.reshape(n, oh, ow, kh, kw, c)
    dxp = np.zeros(padded_shape, dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[window_slice(i, j, oh, ow, strides)] += d[:, :, :, i, j, :]
    return dxp


class Conv2D(Layer):
    kind = "conv2d"

    def __init__(self, filters: int, kernel_size, strides=1, padding="valid", activation=None):
        super().__init__()
        if int(filters) != filters or filters < 1:
            raise ValueError(f"filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = check_padding(padding)
        self.activation = check_activation(activation)

    def get_config(self):
        return {"filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "activation": self.activation}

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} needs per-sample shape (H, W, C), "
                             f"got {input_shape}")
        oh, ow, self._pads = geometry(input_shape, self.kernel_size, self.strides, self.padding)
        return (oh, ow, self.filters)

    def init_params(self, rng):
        kh, kw = self.kernel_size
        c = self.input_shape[2]
        self.params["W"] = init_uniform(rng, (self.filters, kh, kw, c), kh * kw * c,
                                        kh * kw * self.filters, self.activation)
        self.params["b"] = np.zeros(self.filters, np.float32)

    def forward(self, x, training=False):
        oh, ow, _ = self.output_shape
        xp = pad_nhwc(x, self._pads)
        self._xp_shape = xp.shape
        self._cols = im2col(xp, self.kernel_size, self.strides, oh, ow)
        w2 = self._p("W", x.dtype).reshape(self.filters, -1)
        z = matmul(self._cols, w2.T) + self._p("b", x.dtype)
        self._y = activate(z.reshape(x.shape[0], oh, ow, self.filters), self.activation)
        return self._y

    def backward(self, dy):
        oh, ow, _ = self.output_shape
        dz = activation_grad(dy, self._y, self.activation).reshape(-1, self.filters)
        w = self._p("W", dz.dtype)
        self.grads["W"] = matmul(dz.T, self._cols).reshape(w.shape)
        self.grads["b"] = dz.sum(axis=0)
        dcols = matmul(dz, w.reshape(self.filters, -1))
        dxp = col2im(dcols, self._xp_shape, self.kernel_size, self.strides, oh, ow)
        return crop_nhwc(dxp, self._pads)


def Conv1D(filters: int, kernel_size: int, strides: int = 1, padding="valid", activation=None):
    """1-D convolution over time for inputs shaped (T, 1, C): a Conv2D with a (k, 1) kernel.

    Devices and TFLite only have 2-D convolutions, so this returns a plain
    Conv2D (saved and exported as one), W shape (O, k, 1, C).
    """
    return Conv2D(filters, (kernel_size, 1), (strides, 1), padding, activation)
