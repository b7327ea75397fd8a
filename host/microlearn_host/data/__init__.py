"""Datasets that ship inside pip packages, loaded offline (nothing is downloaded).

    from microlearn_host.data import load
    ds = load("digits")            # or "watch", "spoken-digits"
    xn = ds.normalize(ds.x_train)  # x_* are raw; mean/std come from the train split

Each module's docstring states its split rule and input shape.
"""
from __future__ import annotations

from . import digits, spoken_digits, watch
from .dataset import Dataset

__all__ = ["Dataset", "load", "NAMES"]

_LOADERS = {
    "digits": digits.load,
    "watch": watch.load,
    "spoken-digits": spoken_digits.load,
}
NAMES = tuple(_LOADERS)


def load(name: str, split_seed: int = 0, **options) -> Dataset:
    """Load dataset `name` with the split chosen by `split_seed`.

    options go to the dataset's loader: watch takes window=, hop=; spoken-digits
    takes frames=. An unknown name raises ValueError listing the known ones.
    """
    try:
        loader = _LOADERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}") from None
    return loader(split_seed=split_seed, **options)
