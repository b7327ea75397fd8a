"""Leave-one-subject-out (LOSO) splits of the watch data, for "a new user meets the model".

For a held-out subject s:
  base_dataset(s): a Dataset that never contains s. Of the 9 other subjects, 2 are the
      validation set (chosen by RandomState(1000 * split_seed + s), fixed across base
      seeds so seeds only change the training run) and 7 train; x_test is all of s.
  user_data(s, split): s's own windows as a labelled stream and a test set.
      "same-arm": the first half (T // 2 samples) of every recording is the stream, the
          second half the test; windows that overlap the cut are dropped.
      "other-arm": all recordings with arm `stream_arm` (0 or 1) are the stream, the
          other arm's recordings the test (each exercise was recorded once per arm).
Windows are those of data/watch.py (window 100 samples, hop 50); stream_order() gives the
order a user labels them in: round r holds the r-th example of every class.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import watch
from .dataset import Dataset, channel_stats, package_file

SPLITS = ("same-arm", "other-arm")
N_VAL_SUBJECTS = 2


@lru_cache(maxsize=2)
def _read(path):
    recs, y, subj, names, chans, side = watch.read_file(path, sides=True)
    return tuple(np.asarray(r, np.float32) for r in recs), y, subj, names, chans, side


def _data(path=None):
    return _read(path or package_file("seglearn", "data", "watch_dataset.npy"))


def subjects(path=None) -> list[int]:
    return [int(s) for s in np.unique(_data(path)[2])]


def _check_subject(subject, path):
    ids = subjects(path)
    if subject not in ids:
        raise ValueError(f"watch has no subject {subject!r}; subjects are "
                         f"{', '.join(map(str, ids))}")


def _windows(recs, y, subj, rec_ids, window, hop, lo=None, hi=None):
    """(x, y, subject, recording, start) of the windows of rec_ids lying inside
    [lo(T), hi(T)) samples of each recording (default: the whole recording)."""
    xs, meta = [], []
    for i in rec_ids:
        r = recs[i]
        a = 0 if lo is None else lo(len(r))
        b = len(r) if hi is None else hi(len(r))
        starts = np.arange(a, b - window + 1, hop)
        xs.append(np.stack([r[s:s + window] for s in starts]) if len(starts)
                  else np.empty((0, window, r.shape[1]), np.float32))
        meta.append(np.stack([np.full(len(starts), y[i]), np.full(len(starts), subj[i]),
                              np.full(len(starts), i), starts]).reshape(4, -1))
    m = np.concatenate(meta, axis=1).astype(np.int64)
    return np.concatenate(xs)[:, :, None, :], m[0], m[1], m[2], m[3]


def base_dataset(subject: int, split_seed: int = 0, window: int = 100, hop: int = 50,
                 path=None) -> Dataset:
    """Training/validation data without `subject`; x_test = every window of `subject`."""
    _check_subject(subject, path)
    recs, y, subj, names, chans, _ = _data(path)
    others = np.array([s for s in np.unique(subj) if s != subject])
    val_ids = np.sort(np.random.RandomState(1000 * split_seed + subject)
                      .permutation(others)[:N_VAL_SUBJECTS])
    train_ids = np.setdiff1d(others, val_ids)
    parts = {}
    for k, ids in (("train", train_ids), ("val", val_ids), ("test", [subject])):
        parts[k] = _windows(recs, y, subj, np.flatnonzero(np.isin(subj, ids)), window, hop)
    mean, std = channel_stats(parts["train"][0])
    extra = {"sample_rate_hz": watch.SAMPLE_RATE_HZ, "window": window, "hop": hop,
             "channel_names": chans, "train_subject_ids": train_ids,
             "val_subject_ids": val_ids, "test_subject_ids": np.array([subject])}
    for k, p in parts.items():
        extra[f"recording_{k}"], extra[f"start_{k}"] = p[3], p[4]
    return Dataset("watch", parts["train"][0], parts["train"][1], parts["val"][0],
                   parts["val"][1], parts["test"][0], parts["test"][1],
                   input_shape=(window, 1, len(chans)), class_names=names, mean=mean, std=std,
                   split_rule=f"leave subject {subject} out: val subjects "
                              f"{', '.join(map(str, val_ids))}, test = subject {subject}",
                   subjects_train=parts["train"][2], subjects_val=parts["val"][2],
                   subjects_test=parts["test"][2], extra=extra)


@dataclass(frozen=True)
class UserData:
    subject: int
    split: str
    class_names: tuple
    x_stream: np.ndarray   # raw windows, (N,) + input_shape
    y_stream: np.ndarray
    rec_stream: np.ndarray  # recording index (0..139) of each window
    start_stream: np.ndarray  # first sample of each window in its recording
    x_test: np.ndarray
    y_test: np.ndarray
    rec_test: np.ndarray
    start_test: np.ndarray


def user_data(subject: int, split: str, window: int = 100, hop: int = 50, stream_arm: int = 0,
              path=None) -> UserData:
    _check_subject(subject, path)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    if stream_arm not in (0, 1):
        raise ValueError(f"stream_arm must be 0 or 1, got {stream_arm!r}")
    recs, y, subj, names, _, side = _data(path)
    mine = np.flatnonzero(subj == subject)
    if split == "same-arm":
        s = _windows(recs, y, subj, mine, window, hop, hi=lambda t: t // 2)
        t = _windows(recs, y, subj, mine, window, hop, lo=lambda t: t // 2)
    else:
        s = _windows(recs, y, subj, mine[side[mine] == stream_arm], window, hop)
        t = _windows(recs, y, subj, mine[side[mine] != stream_arm], window, hop)
    return UserData(subject, split, tuple(names), s[0], s[1], s[3], s[4], t[0], t[1], t[3], t[4])


def stream_order(y: np.ndarray, seed: int, classes=None) -> np.ndarray:
    """Indices into y in the order a user labels them: each class's examples shuffled by
    RandomState(seed); round r gives the r-th example of every class that still has one,
    classes in a shuffled order per round. After k rounds each class has min(k, its count)."""
    y = np.asarray(y)
    rs = np.random.RandomState(seed)
    classes = np.unique(y) if classes is None else np.asarray(classes)
    per = {int(c): list(rs.permutation(np.flatnonzero(y == c))) for c in classes}
    out = []
    for r in range(max((len(v) for v in per.values()), default=0)):
        for c in rs.permutation(classes):
            if r < len(per[int(c)]):
                out.append(per[int(c)][r])
    return np.array(out, np.int64)
