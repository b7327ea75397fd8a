"""sklearn's handwritten digits: 1797 images of 8x8 pixels, values 0..16, 10 classes.

Input shape (8, 8, 1): NHWC with one channel, raw pixel values 0..16.
Split rule: per class, shuffle with np.random.RandomState(split_seed) and take
15% (rounded) for validation, 15% for test, the rest (~70%) for training
(split_seed=0: 1259 / 269 / 269). The images come from 43 writers but the file
does not say which, so writers overlap between splits (optimistic accuracy).
"""
from __future__ import annotations

import numpy as np

from .dataset import Dataset, channel_stats, check_finite, check_labels, stratified_split

VAL_FRAC = 0.15
TEST_FRAC = 0.15
SPLIT_RULE = ("stratified per class: RandomState(split_seed) shuffle, "
              "15% val, 15% test, rest train")
CLASS_NAMES = tuple(str(d) for d in range(10))


def from_arrays(images: np.ndarray, target: np.ndarray, source: str,
                split_seed: int = 0) -> Dataset:
    """Validate raw arrays (as sklearn returns them) and split them."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (8, 8):
        raise ValueError(f"{source}: expected images of shape (N, 8, 8), got {images.shape}")
    if len(target) != len(images):
        raise ValueError(f"{source}: {len(images)} images but {len(target)} labels")
    check_finite(images, source)
    if images.min() < 0 or images.max() > 16:
        raise ValueError(f"{source}: pixel values outside 0..16 "
                         f"(min {images.min()}, max {images.max()})")
    y = check_labels(target, len(CLASS_NAMES), source)
    x = images.astype(np.float32)[..., None]  # (N, 8, 8, 1)
    tr, va, te = stratified_split(y, VAL_FRAC, TEST_FRAC, split_seed)
    mean, std = channel_stats(x[tr])
    return Dataset("digits", x[tr], y[tr], x[va], y[va], x[te], y[te],
                   input_shape=(8, 8, 1), class_names=CLASS_NAMES, mean=mean, std=std,
                   split_rule=SPLIT_RULE)


def load(split_seed: int = 0) -> Dataset:
    # Imported here so importing microlearn_host.data stays cheap.
    from sklearn.datasets import load_digits
    import sklearn.datasets
    bunch = load_digits()
    source = "sklearn.datasets load_digits() (" + \
        str(sklearn.datasets.__path__[0]) + "/data/digits.csv.gz)"
    return from_arrays(bunch.images, bunch.target, source, split_seed)
