"""seglearn's smartwatch IMU data: 140 recordings, 6 channels at 50 Hz, 7 exercises, 10 subjects.

Each subject recorded every shoulder exercise once with each arm (the file's "side",
0 or 1): 10 subjects x 7 exercises x 2 arms, every combination exactly once (checked
by the tests; data/loso.py splits a held-out subject's data by arm and by time).
Channels (raw, as recorded): ax, ay, az (accelerometer, g), wx, wy, wz (gyro, rad/s).

Windows: `window` samples (default 100 = 2 s) every `hop` samples (default 50 =
1 s) inside each recording; a window never crosses recordings and a recording's
tail shorter than a window is dropped. Input shape (window, 1, 6): NHWC with
H=time, W=1, C=channel, so a 1-D convolution is a Conv2D with a (k, 1) kernel
and no reshape op is needed on the device (same bytes as (window, 6)).

Split rule, BY SUBJECT so test subjects are never seen in training: permute
the sorted subject ids with np.random.RandomState(split_seed).permutation;
the first 2 are test (the "new users" for on-device personalisation), the next
2 validation, the remaining 6 training. split_seed=0 gives test subjects
[3, 9], val [5, 10], train [1, 2, 4, 6, 7, 8] (checked by the tests).
extra["recording_<split>"] gives each window's recording index (0..139), so
personalisation can split a new user's data by recording without overlap.
"""
from __future__ import annotations

import numpy as np

from .dataset import Dataset, channel_stats, check_finite, check_labels, package_file

SAMPLE_RATE_HZ = 50
N_TEST_SUBJECTS = 2
N_VAL_SUBJECTS = 2
SPLIT_RULE = ("by subject: RandomState(split_seed).permutation(sorted subjects); "
              "first 2 test, next 2 val, rest train")


def read_file(path: str, sides: bool = False):
    """Recordings, labels, subjects, class names, channel names from seglearn's .npy
    (and, with sides=True, the arm of every recording, 0 or 1, appended).

    The file is a pickled dict (that is how seglearn ships it), so
    allow_pickle is needed; it is only ever read from the installed package.
    """
    try:
        d = np.load(path, allow_pickle=True).item()
    except Exception as e:  # truncated file, not a pickle, not a 0-d object array
        raise ValueError(f"{path}: cannot read the watch data file ({e})") from e
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(d).__name__}")
    missing = {"X", "y", "subject", "y_labels", "X_labels"} - set(d)
    if missing:
        raise ValueError(f"{path}: missing keys {sorted(missing)}")
    recs, y, subj = list(d["X"]), np.asarray(d["y"]), np.asarray(d["subject"])
    if not (len(recs) == len(y) == len(subj)):
        raise ValueError(f"{path}: {len(recs)} recordings, {len(y)} labels, "
                         f"{len(subj)} subject ids: lengths differ")
    chans = tuple(d["X_labels"])
    for i, r in enumerate(recs):
        r = np.asarray(r)
        if r.ndim != 2 or r.shape[1] != len(chans):
            raise ValueError(f"{path}: recording {i} has shape {r.shape}, "
                             f"expected (T, {len(chans)})")
        check_finite(r, f"{path}: recording {i}")
    class_names = tuple(d["y_labels"])
    y = check_labels(y, len(class_names), path)
    if not sides:
        return recs, y, subj.astype(np.int64), class_names, chans
    side = np.asarray(d.get("side", ()))
    if side.shape != (len(recs),) or not np.isin(side, (0, 1)).all():
        raise ValueError(f"{path}: 'side' must give arm 0 or 1 for each of the {len(recs)} "
                         f"recordings")
    return recs, y, subj.astype(np.int64), class_names, chans, side.astype(np.int64)


def windows(rec: np.ndarray, window: int, hop: int) -> np.ndarray:
    """(n, window, C) windows starting at 0, hop, 2*hop, ... (a view, not a copy)."""
    if len(rec) < window:
        return np.empty((0, window, rec.shape[1]), rec.dtype)
    v = np.lib.stride_tricks.sliding_window_view(rec, window, axis=0)  # (T-w+1, C, w)
    return v[::hop].transpose(0, 2, 1)


def subject_split(subjects: np.ndarray, split_seed: int):
    """(train, val, test) arrays of subject ids per the module's split rule."""
    perm = np.random.RandomState(split_seed).permutation(np.unique(subjects))
    test = perm[:N_TEST_SUBJECTS]
    val = perm[N_TEST_SUBJECTS:N_TEST_SUBJECTS + N_VAL_SUBJECTS]
    train = np.sort(perm[N_TEST_SUBJECTS + N_VAL_SUBJECTS:])
    return train, val, test


def from_file(path: str, split_seed: int = 0, window: int = 100, hop: int = 50) -> Dataset:
    if window < 1 or hop < 1:
        raise ValueError(f"window and hop must be >= 1, got {window}, {hop}")
    recs, y, subj, class_names, chans = read_file(path)
    xs, ys, ss, rs = [], [], [], []
    for i, r in enumerate(recs):
        w = windows(np.asarray(r, np.float32), window, hop)
        xs.append(w)
        ys.append(np.full(len(w), y[i]))
        ss.append(np.full(len(w), subj[i]))
        rs.append(np.full(len(w), i))
    x = np.concatenate(xs)[:, :, None, :]  # (N, window, 1, C)
    y_w, s_w, r_w = (np.concatenate(a).astype(np.int64) for a in (ys, ss, rs))
    tr_s, va_s, te_s = subject_split(subj, split_seed)
    sel = {k: np.isin(s_w, ids) for k, ids in (("train", tr_s), ("val", va_s), ("test", te_s))}
    mean, std = channel_stats(x[sel["train"]])
    extra = {"sample_rate_hz": SAMPLE_RATE_HZ, "window": window, "hop": hop,
             "channel_names": chans,
             "train_subject_ids": tr_s, "val_subject_ids": va_s, "test_subject_ids": te_s}
    for k, m in sel.items():
        extra[f"recording_{k}"] = r_w[m]
    return Dataset(
        "watch", x[sel["train"]], y_w[sel["train"]], x[sel["val"]], y_w[sel["val"]],
        x[sel["test"]], y_w[sel["test"]], input_shape=(window, 1, len(chans)),
        class_names=class_names, mean=mean, std=std, split_rule=SPLIT_RULE,
        subjects_train=s_w[sel["train"]], subjects_val=s_w[sel["val"]],
        subjects_test=s_w[sel["test"]], extra=extra)


def load(split_seed: int = 0, window: int = 100, hop: int = 50) -> Dataset:
    return from_file(package_file("seglearn", "data", "watch_dataset.npy"),
                     split_seed, window, hop)


def augment(x: np.ndarray, rng, degrees: float = 20.0, gain: float = 0.1) -> np.ndarray:
    """Training batches (N, T, 1, 6) as another wearer might record them: each window's
    accelerometer and gyro axes turned by the same random rotation (up to `degrees` about
    a random axis: the watch sits differently) and scaled by one gain in 1 +- `gain`."""
    n = len(x)
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    ang = np.radians(rng.uniform(-degrees, degrees, n))
    k = np.zeros((n, 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k -= k.transpose(0, 2, 1)
    rot = (np.eye(3) + np.sin(ang)[:, None, None] * k
           + (1 - np.cos(ang))[:, None, None] * k @ k)  # Rodrigues
    g = rng.uniform(1 - gain, 1 + gain, n)[:, None, None] * rot
    out = np.empty_like(x)
    out[..., :3] = np.einsum("nij,ntwj->ntwi", g, x[..., :3])
    out[..., 3:] = np.einsum("nij,ntwj->ntwi", g, x[..., 3:])
    return out.astype(x.dtype)
