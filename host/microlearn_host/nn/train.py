"""Mini-batch training with Adam, early stopping on validation loss, tqdm progress.

Determinism: batch order comes from np.random.default_rng(seed) and weights /
dropout from the model's own seed, and matrix products avoid BLAS (base.matmul),
so the same seeds give bit-identical weights on any x86-64 machine with the same
NumPy, whatever BLAS kernels its CPU gets.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .optim import Adam

try:  # ships with scikit-learn; optional
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None


def blas_threads(n):
    """Limit BLAS threads. Our matrices are tiny: with 2+ threads OpenBLAS spends
    its time synchronising (measured 8x-50x slower on a busy 2-core machine), and
    a fixed thread count also keeps float sums in a fixed order (reproducible)."""
    if n is None or threadpool_limits is None:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


@dataclass
class History:
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    best_epoch: int = -1  # 0-based epoch whose weights the model ends with
    stopped_early: bool = False
    seconds: float = 0.0


def fit(model, x, y, validation_data=None, epochs: int = 20, batch_size: int = 32,
        lr: float = 1e-3, seed: int = 0, patience: int = 5, verbose: bool = True,
        threads: int | None = 1, min_epochs: int = 0, schedule: str = "constant",
        augment=None) -> History:
    """Train `model` in place on raw inputs x (N,)+input_shape and int labels y.

    validation_data=(x_val, y_val) turns on early stopping: training stops after
    `patience` epochs without a lower validation loss and the weights of the best
    epoch are restored. Without it, all epochs run and the last weights stay.
    threads: BLAS threads while training (None = leave as is).
    min_epochs: early stopping never ends training before this many epochs, and
    the best weights are only taken from epoch min_epochs on (the first epochs'
    validation loss is a noisy minimum on small, subject-wise validation sets).
    schedule: "constant" lr, or "cosine" (lr * (1 + cos(pi * epoch / epochs)) / 2
    per epoch), which settles the weights instead of stopping on a noisy epoch.
    augment: optional f(x_batch, rng) -> x_batch applied to every training batch of raw
    inputs (rng: the fit's own generator, so runs stay reproducible).
    """
    for name, v, ok in (("epochs", epochs, isinstance(epochs, (int, np.integer)) and epochs >= 1),
                        ("batch_size", batch_size,
                         isinstance(batch_size, (int, np.integer)) and batch_size >= 1),
                        ("lr", lr, isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0),
                        ("patience", patience,
                         isinstance(patience, (int, np.integer)) and patience >= 1),
                        ("min_epochs", min_epochs,
                         isinstance(min_epochs, (int, np.integer)) and 0 <= min_epochs)):
        if not ok:
            raise ValueError(f"{name} must be {_WANT.get(name, 'an integer >= 1')}, got {v!r}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    with blas_threads(threads):
        return _fit(model, x, y, validation_data, epochs, batch_size, lr, seed, patience,
                    verbose, min_epochs, schedule, augment)


_WANT = {"lr": "a finite number > 0", "min_epochs": "an integer >= 0"}


def _fit(model, x, y, validation_data, epochs, batch_size, lr, seed, patience, verbose,
         min_epochs=0, schedule="constant", augment=None):
    x = np.asarray(x)
    y = np.asarray(y).astype(np.int64)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x has {len(x)} samples, y has {len(y)}")
    rng = np.random.default_rng(seed)
    opt = Adam(lr)
    hist = History()
    best_loss, best_weights, waited = np.inf, None, 0
    t0 = time.perf_counter()
    starts = range(0, len(x), batch_size)
    # One bar for the whole run (one line in a log, not one per epoch), updated
    # by hand so the last epoch's validation numbers stay on it.
    bar = tqdm(total=epochs * len(starts), desc="training", disable=not verbose, unit="batch")
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        if schedule == "cosine":
            opt.lr = lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
        bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
        tot_loss, tot_correct, seen = 0.0, 0, 0
        for start in starts:
            idx = order[start:start + batch_size]
            xb = x[idx] if augment is None else augment(x[idx], rng)
            loss, correct = model.train_batch(xb, y[idx])
            opt.step(model.trainable())
            tot_loss += loss * len(idx)
            tot_correct += correct
            seen += len(idx)
            bar.set_postfix(loss=f"{tot_loss / seen:.4f}", acc=f"{tot_correct / seen:.3f}",
                            refresh=False)
            bar.update(1)
        hist.loss.append(tot_loss / seen)
        hist.accuracy.append(tot_correct / seen)
        if validation_data is not None:
            val = model.evaluate(*validation_data)
            hist.val_loss.append(val["loss"])
            hist.val_accuracy.append(val["accuracy"])
            bar.set_postfix(loss=f"{hist.loss[-1]:.4f}", acc=f"{hist.accuracy[-1]:.3f}",
                            val_loss=f"{val['loss']:.4f}", val_acc=f"{val['accuracy']:.3f}")
            if epoch + 1 >= min_epochs and val["loss"] < best_loss:
                best_loss, best_weights, waited = val["loss"], model.get_weights(), 0
                hist.best_epoch = epoch
            else:
                waited += 1
        if validation_data is not None and waited >= patience and epoch + 1 >= min_epochs:
            hist.stopped_early = True
            # end the bar at 100% and say why, rather than leave it stuck part-way
            bar.total = bar.n
            bar.set_description(f"early stop at epoch {epoch + 1}/{epochs} "
                                f"(best {hist.best_epoch + 1})")
            break
    bar.close()
    if best_weights is not None:
        model.set_weights(best_weights)
    else:
        hist.best_epoch = len(hist.loss) - 1
    hist.seconds = time.perf_counter() - t0
    return hist
