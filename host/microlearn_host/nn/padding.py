"""Output sizes and padding with TensorFlow Lite's rules, plus strided window slices.

SAME: out = ceil(in / stride); pad_total = max((out - 1) * stride + k - in, 0);
pad_before = pad_total // 2 (the extra pixel goes after). VALID: no padding,
out = (in - k) // stride + 1. Matching these exactly is what lets an exported
model give the same numbers on the device.
"""
from __future__ import annotations

import numpy as np

PADDINGS = ("same", "valid")


def pair(v, name: str) -> tuple[int, int]:
    """An int or a pair -> (h, w) of positive ints."""
    t = (v, v) if np.isscalar(v) else tuple(v)
    if len(t) != 2 or any(int(a) != a or a < 1 for a in t):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {v!r}")
    return int(t[0]), int(t[1])


def check_padding(padding: str) -> str:
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    return padding


def out_and_pad(size: int, k: int, stride: int, padding: str):
    """(out_size, pad_before, pad_after) along one axis."""
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        return out, total // 2, total - total // 2
    out = (size - k) // stride + 1
    if out < 1:
        raise ValueError(f"kernel {k} larger than input {size} with padding 'valid'")
    return out, 0, 0


def geometry(input_shape, kernel, strides, padding):
    """(OH, OW, ((top, bottom), (left, right))) for an (H, W, C) input."""
    (oh, t, b), (ow, l, r) = (out_and_pad(input_shape[0], kernel[0], strides[0], padding),
                              out_and_pad(input_shape[1], kernel[1], strides[1], padding))
    return oh, ow, ((t, b), (l, r))


def pad_nhwc(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    (t, b), (l, r) = pads
    if t == b == l == r == 0:
        return x
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def window_slice(i: int, j: int, oh: int, ow: int, strides):
    """Index selecting, for kernel tap (i, j), the input pixel of every output pixel."""
    sh, sw = strides
    return (slice(None), slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))


def crop_nhwc(x: np.ndarray, pads) -> np.ndarray:
    (t, b), (l, r) = pads
    return x[:, t:x.shape[1] - b, l:x.shape[2] - r, :]
