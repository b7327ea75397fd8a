"""Depthwise 2-D convolution (NHWC) with a depth multiplier, TFLite layout.

W has DEPTHWISE_CONV_2D's layout (1, KH, KW, C*M): output channel c*M + m is
input channel c filtered by W[0, :, :, c*M + m]. Computed as a loop over the
KH*KW kernel taps (each a broadcast multiply): no patch matrix is built, since
each output channel only reads one input channel.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, activate, activation_grad, check_activation, init_uniform
from .padding import check_padding, crop_nhwc, geometry, pad_nhwc, pair, window_slice


class DepthwiseConv2D(Layer):
    kind = "depthwise_conv2d"

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier: int = 1,
                 activation=None):
        super().__init__()
        if int(depth_multiplier) != depth_multiplier or depth_multiplier < 1:
            raise ValueError(f"depth_multiplier must be a positive int, got {depth_multiplier!r}")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = check_padding(padding)
        self.depth_multiplier = int(depth_multiplier)
        self.activation = check_activation(activation)

    def get_config(self):
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "depth_multiplier": self.depth_multiplier,
                "activation": self.activation}

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"DepthwiseConv2D needs per-sample shape (H, W, C), got {input_shape}")
        oh, ow, self._pads = geometry(input_shape, self.kernel_size, self.strides, self.padding)
        return (oh, ow, input_shape[2] * self.depth_multiplier)

    def init_params(self, rng):
        kh, kw = self.kernel_size
        cm = self.input_shape[2] * self.depth_multiplier
        self.params["W"] = init_uniform(rng, (1, kh, kw, cm), kh * kw,
                                        kh * kw * self.depth_multiplier, self.activation)
        self.params["b"] = np.zeros(cm, np.float32)

    def _taps(self, dtype):
        kh, kw = self.kernel_size
        c = self.input_shape[2]
        return self._p("W", dtype).reshape(kh, kw, c, self.depth_multiplier)

    def forward(self, x, training=False):
        oh, ow, cm = self.output_shape
        n, c, m = x.shape[0], x.shape[3], self.depth_multiplier
        xp = pad_nhwc(x, self._pads)
        self._xp = xp
        w = self._taps(x.dtype)
        z = np.zeros((n, oh, ow, c, m), x.dtype)
        for i in range(self.kernel_size[0]):
            for j in range(self.kernel_size[1]):
                z += xp[window_slice(i, j, oh, ow, self.strides)][..., None] * w[i, j]
        z = z.reshape(n, oh, ow, cm) + self._p("b", x.dtype)
        self._y = activate(z, self.activation)
        return self._y

    def backward(self, dy):
        oh, ow, cm = self.output_shape
        n, m = dy.shape[0], self.depth_multiplier
        dz = activation_grad(dy, self._y, self.activation)
        self.grads["b"] = dz.sum(axis=(0, 1, 2))
        dz5 = dz.reshape(n, oh, ow, -1, m)
        w = self._taps(dz.dtype)
        dw = np.zeros_like(w)
        dxp = np.zeros(self._xp.shape, dz.dtype)
        for i in range(self.kernel_size[0]):
            for j in range(self.kernel_size[1]):
                sl = window_slice(i, j, oh, ow, self.strides)
                dw[i, j] = np.einsum("nhwc,nhwcm->cm", self._xp[sl], dz5)
                dxp[sl] += np.einsum("nhwcm,cm->nhwc", dz5, w[i, j])
        self.grads["W"] = dw.reshape(self.params["W"].shape)
        return crop_nhwc(dxp, self._pads)
