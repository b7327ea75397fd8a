"""A short fine-tuning loop with hooks, shared by QAT and pruning.

nn.fit has no per-step hooks; QAT needs its own forward/backward (fake
quantization) and pruning must re-apply masks after every optimiser step, so
both use this loop instead of patching nn.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..nn import Adam
from ..nn.train import blas_threads


def finetune(model, x, y, epochs: int = 3, lr: float = 5e-4, batch_size: int = 32,
             seed: int = 0, batch_fn=None, after_step=None, after_epoch=None,
             verbose: bool = False, threads: int | None = 1) -> list:
    """Train in place; returns the mean training loss per epoch.

    batch_fn(xb, yb) -> (loss, correct) must run forward + backward (filling the
    layers' grads); default model.train_batch. after_step() runs after each
    optimiser step, after_epoch(epoch) after each epoch.
    """
    x = np.asarray(x, np.float32)
    y = np.asarray(y).astype(np.int64)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x has {len(x)} samples, y has {len(y)}")
    batch_fn = batch_fn or model.train_batch
    rng = np.random.default_rng(seed)
    opt = Adam(lr)
    losses = []
    with blas_threads(threads):
        for epoch in range(epochs):
            order = rng.permutation(len(x))
            tot, seen = 0.0, 0
            bar = tqdm(range(0, len(x), batch_size), desc=f"finetune {epoch + 1}/{epochs}",
                       disable=not verbose, unit="batch", leave=False)
            for s in bar:
                idx = order[s:s + batch_size]
                loss, _ = batch_fn(x[idx], y[idx])
                opt.step(model.trainable())
                if after_step is not None:
                    after_step()
                tot += loss * len(idx)
                seen += len(idx)
            losses.append(tot / seen)
            if after_epoch is not None:
                after_epoch(epoch)
    return losses
