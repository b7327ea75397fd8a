"""A learning experiment: a base model, the labelled stream a user gives it, a test set,
and the old-class embeddings a device keeps (replay seed), all as int8 embeddings.

    sc = watch_user(3, "same-arm", base_seed=0)      # a new user (leave-one-subject-out)
    sc = new_classes("digits", [8, 9], base_seed=0)  # base on 0-7 learns 8 and 9
Class indices: the base model's classes first (its order), then new classes in the order
given. y_* index `names`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import bases, embed

SEED_PER_CLASS = 20  # old-class embeddings a device keeps (the replay buffer's slots)


@dataclass
class Scenario:
    title: str
    qm: object            # the int8 base model (ends in FC + SOFTMAX)
    names: list           # class names, base classes first
    n_base: int           # how many of them the base model knows
    E_stream: np.ndarray  # (N, D) int8: the user's labelled examples
    y_stream: np.ndarray
    E_test: np.ndarray
    y_test: np.ndarray
    E_seed: np.ndarray    # (M, D) int8 old-class embeddings put in the replay buffer first
    y_seed: np.ndarray
    zp_e: int
    old: np.ndarray | None = None  # test mask of the base classes (new-class experiments)
    # int8 model inputs (N, input bytes) of the same examples, for boards (learn/boards.py)
    xq_stream: np.ndarray | None = None
    xq_test: np.ndarray | None = None
    xq_seed: np.ndarray | None = None


def _xq(qm, x):
    from ..quant import reference
    return reference.quantize_input(qm, np.asarray(x, np.float32)).reshape(len(x), -1)


def watch_user(subject: int, split: str, base_seed: int = 0, stream_arm: int = 0,
               qm=None) -> Scenario:
    from ..data import loso
    u = loso.user_data(subject, split, stream_arm=stream_arm)
    if qm is None:
        qm = bases.watch_base(subject, base_seed)[1]
    Es, zp = embed.embeddings(qm, u.x_stream)
    Et, _ = embed.embeddings(qm, u.x_test)
    empty = np.zeros((0, Es.shape[1]), np.int8)
    return Scenario(f"watch subject {subject}, {split}" +
                    (f" (stream arm {stream_arm})" if split == "other-arm" else ""),
                    qm, [str(c) for c in u.class_names], len(u.class_names), Es, u.y_stream,
                    Et, u.y_test, empty, np.zeros(0, np.int64), zp,
                    xq_stream=_xq(qm, u.x_stream), xq_test=_xq(qm, u.x_test),
                    xq_seed=np.zeros((0, int(np.prod(qm.input_shape))), np.int8))


def new_classes(name: str, new, base_seed: int = 0, qm=None, seed_per_class=SEED_PER_CLASS,
                seed: int = 0) -> Scenario:
    """Base on every class but `new` (indices); the stream is the new classes' training
    examples, the test set the whole test split; each old class contributes its first
    seed_per_class training embeddings (shuffled by `seed`) to the replay seed."""
    from ..data import load
    ds = load(name)
    new = [int(c) for c in new]
    if len(set(new)) != len(new) or not all(0 <= c < ds.num_classes for c in new):
        raise ValueError(f"new classes {new} must be distinct indices 0..{ds.num_classes - 1}")
    keep = [c for c in range(ds.num_classes) if c not in new]
    if len(keep) < 2:
        raise ValueError(f"the base model needs >= 2 classes; {name} has {ds.num_classes}")
    if qm is None:
        qm = bases.subset_base(name, keep, base_seed)[1]
    order = keep + new
    remap = np.empty(ds.num_classes, np.int64)
    remap[order] = np.arange(len(order))
    names = [str(ds.class_names[c]) for c in order]
    if [str(c) for c in qm.class_names] != names[:len(keep)]:
        raise ValueError(f"the base model's classes {list(qm.class_names)} are not the "
                         f"dataset's classes without {new}: {names[:len(keep)]}")
    tr_new = np.flatnonzero(np.isin(ds.y_train, new))
    rs = np.random.RandomState(seed)
    tr_old = np.concatenate([rs.permutation(np.flatnonzero(ds.y_train == c))[:seed_per_class]
                             for c in keep])
    Es, zp = embed.embeddings(qm, ds.x_train[tr_new])
    Eo, _ = embed.embeddings(qm, ds.x_train[tr_old])
    Et, _ = embed.embeddings(qm, ds.x_test)
    y_test = remap[ds.y_test]
    return Scenario(f"{name}: base on {len(keep)} classes learns "
                    f"{', '.join(names[len(keep):])}", qm, names, len(keep), Es,
                    remap[ds.y_train[tr_new]], Et, y_test, Eo, remap[ds.y_train[tr_old]], zp,
                    old=y_test < len(keep), xq_stream=_xq(qm, ds.x_train[tr_new]),
                    xq_test=_xq(qm, ds.x_test), xq_seed=_xq(qm, ds.x_train[tr_old]))
