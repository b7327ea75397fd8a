"""Default base models per dataset, training them, and float vs int8 evaluation.

    model, ds = train_default("digits", seed=0)
    qm = convert.ptq.quantize(model, ds.x_train, ds.class_names)
    report = evaluate(model, qm, ds)          # float and int8 test accuracy
    confusion_png(report["confusion_int8"], ds.class_names, "digits.png")

The models are deliberately tiny (a few thousand parameters) so they fit an
RP2040 / ESP32 heap with room for on-device learning, and train in seconds.
"""
from __future__ import annotations

import os
import time

import numpy as np

from . import nn
from .convert import evaluate as ev
from .data import NAMES, load
from .data.watch import augment as watch_augment


def digits_model(ds, seed=0):
    """6,090 parameters, two conv stages; ~98% test accuracy."""
    return nn.Sequential([
        nn.Conv2D(16, 3, padding="same", activation="relu"), nn.MaxPool2D(2),
        nn.Conv2D(32, 3, padding="same", activation="relu"), nn.MaxPool2D(2),
        nn.Flatten(), nn.Dense(ds.num_classes)],
        input_shape=ds.input_shape, seed=seed, mean=ds.mean, std=ds.std)


def sequence_model(ds, seed=0, widths=(16, 32, 32), kernel=5):
    """Conv1D stack over time (as (k, 1) Conv2D), global average pool, linear head.

    Global average pooling keeps the head independent of the window length and
    the parameter count small; the first layers downsample with pooling so
    the device's activation memory stays small too.
    """
    layers = []
    for k, w in enumerate(widths):
        layers.append(nn.Conv1D(w, kernel if k == 0 else 3, padding="same", activation="relu"))
        if k < len(widths) - 1:
            layers.append(nn.MaxPool1D(2))
    layers += [nn.GlobalAvgPool(), nn.Dense(ds.num_classes)]
    return nn.Sequential(layers, input_shape=ds.input_shape, seed=seed,
                         mean=ds.mean, std=ds.std)


DEFAULTS = {
    # name: (model builder, fit keyword arguments)
    "digits": (digits_model, dict(epochs=30, batch_size=32, lr=3e-3, patience=5)),
    "spoken-digits": (sequence_model, dict(epochs=40, batch_size=32, lr=3e-3, patience=6)),
    # watch: a fixed cosine schedule on randomly rotated windows (another wearer's watch sits
    # differently): early stopping stopped at epoch 1-4 on noisy validation subjects, and a
    # held-out subject's accuracy moved by up to 16 points between seeds (docs/benchmarks.md)
    "watch": (sequence_model, dict(epochs=15, min_epochs=15, schedule="cosine", lr=3e-3,
                                   batch_size=32, patience=6, augment=watch_augment)),
}


def default_model(name: str, ds=None, seed: int = 0):
    if name not in DEFAULTS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")
    ds = load(name) if ds is None else ds
    return DEFAULTS[name][0](ds, seed)


def train_default(name: str, seed: int = 0, verbose: bool = False, ds=None, **fit_overrides):
    """(trained model, dataset), with the dataset's DEFAULTS fit (early stopping on the
    validation split, or watch's fixed schedule); fit_overrides replace its keywords."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")
    ds = load(name) if ds is None else ds
    model = DEFAULTS[name][0](ds, seed)
    kw = dict(DEFAULTS[name][1], **fit_overrides)
    t0 = time.perf_counter()
    model.history = model.fit(ds.x_train, ds.y_train, validation_data=(ds.x_val, ds.y_val),
                              seed=seed, verbose=verbose, **kw)
    model.train_seconds = time.perf_counter() - t0
    return model, ds


def check_compatible(model_input_shape, n_classes: int, ds) -> None:
    """ValueError when a model cannot be evaluated on dataset `ds`."""
    if tuple(model_input_shape) != tuple(ds.input_shape):
        raise ValueError(f"model input shape {tuple(model_input_shape)} does not match "
                         f"dataset {ds.name!r} input shape {tuple(ds.input_shape)}")
    if n_classes != ds.num_classes:
        raise ValueError(f"model has {n_classes} outputs but dataset {ds.name!r} has "
                         f"{ds.num_classes} classes")


def evaluate(model=None, qm=None, ds=None, split: str = "test") -> dict:
    """Float and/or int8 accuracy on a split, with confusion matrices and sizes."""
    x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
    out = {"split": split, "n": int(len(y))}
    if model is not None:
        check_compatible(model.input_shape, int(np.prod(model.output_shape)), ds)
        p = ev.float_predict(model, x)
        out.update(float_accuracy=ev.accuracy(p, y), params=model.num_params(),
                   confusion_float=ev.confusion(p, y, ds.num_classes), pred_float=p)
    if qm is not None:
        check_compatible(qm.input_shape, ev.num_classes(qm), ds)
        p = ev.int8_predict(qm, x)
        out.update(int8_accuracy=ev.accuracy(p, y), bytes=ev.qmodel_bytes(qm)["total"],
                   confusion_int8=ev.confusion(p, y, ds.num_classes), pred_int8=p)
    return out


def per_subject(pred, y, subjects) -> dict:
    """{subject id: accuracy} (watch: how much the held-out users differ)."""
    return {int(s): ev.accuracy(pred[subjects == s], y[subjects == s])
            for s in np.unique(subjects)}


def confusion_png(matrix, class_names, path: str, title: str = "") -> None:
    """Write a confusion-matrix image (rows true, columns predicted) atomically."""
    import matplotlib
    matplotlib.use("Agg")  # no display on CI / headless hosts
    import matplotlib.pyplot as plt

    m = np.asarray(matrix)
    n = len(m)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * n, 0.8 + 0.5 * n), dpi=100)
    ax.imshow(m, cmap="Blues")
    ticks = np.arange(n)
    names = [str(c) for c in class_names] if len(class_names) == n else [str(i) for i in ticks]
    ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    thresh = m.max() / 2 if m.size else 0
    for i in range(n):
        for j in range(n):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > thresh else "black")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_png(fig, path)


def save_png(fig, path: str) -> None:
    """Write a matplotlib figure to `path` atomically (temp file + rename) and close it;
    OSError naming `path` (not the temp file) if it cannot be written."""
    import matplotlib.pyplot as plt
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, f".{os.path.basename(path)}.tmp{os.getpid()}.png")
    try:
        os.makedirs(d, exist_ok=True)
        fig.savefig(tmp, format="png")
        os.replace(tmp, path)
    except OSError as e:
        raise OSError(f"{path}: cannot write it ({e.strerror or e})") from None
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
