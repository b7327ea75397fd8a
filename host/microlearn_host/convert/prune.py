"""Magnitude pruning: unstructured (zero weights) and structured (remove channels).

Unstructured pruning zeroes the smallest |w| of every Conv/Dense layer to a
target sparsity, raised gradually while fine-tuning (Zhu & Gupta 2017 cubic
schedule) so the network can adapt. The int8 file stays the same size (dense
kernels); it only shrinks with a sparse format, estimated in the table.

Structured pruning removes whole conv filters / dense units (smallest L1 norm)
and the matching input channels of the next weighted layer, so the exported
model really has fewer parameters, bytes and MACs. The output layer is never
pruned (it is the classes).
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..nn.serialize import LAYER_KINDS
from . import evaluate as ev
from .finetune import finetune

PRUNABLE = ("conv2d", "dense", "depthwise_conv2d")


def clone(model: nn.Sequential, layers=None) -> nn.Sequential:
    """A fresh copy (same config, weights, normalisation); `layers` overrides configs."""
    new_layers = layers or [LAYER_KINDS[l.kind](**l.get_config()) for l in model.layers]
    m = nn.Sequential(new_layers, model.input_shape, seed=model.seed,
                      mean=model.mean, std=model.std)
    if layers is None:
        m.set_weights(model.get_weights())
    return m


def sparsity(model) -> float:
    """Fraction of zero weights (W only; biases are few and stay dense)."""
    ws = [l.params["W"] for l in model.layers if "W" in l.params]
    total = sum(w.size for w in ws)
    return float(sum((w == 0).sum() for w in ws) / total) if total else 0.0


def nonzero_params(model) -> int:
    return int(sum((p != 0).sum() for l in model.layers for p in l.params.values()))


# --- unstructured -----------------------------------------------------------

def magnitude_masks(model, target: float) -> dict:
    """{layer index: bool keep-mask}: per layer, the smallest |w| fraction dropped.

    Per layer rather than global: a global threshold would empty the small
    first conv, whose weights have a different scale from the dense layers.
    """
    if not 0.0 <= target < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {target}")
    masks = {}
    for i, l in enumerate(model.layers):
        if l.kind in PRUNABLE:
            w = np.abs(l.params["W"]).ravel()
            k = int(round(target * w.size))
            keep = np.ones(w.size, bool)
            if k:
                keep[np.argsort(w, kind="stable")[:k]] = False
            masks[i] = keep.reshape(l.params["W"].shape)
    return masks


def prune_unstructured(model, x, y, target: float, epochs: int = 6, lr: float = 1e-3,
                       seed: int = 0, verbose: bool = False) -> nn.Sequential:
    """Pruned, fine-tuned copy of `model` with exactly `target` sparsity per layer.

    Sparsity ramps up over the first half of the epochs (cubic: big steps while
    there are many small weights, small steps near the target); the second
    half fine-tunes at the target so accuracy can recover.
    """
    m = clone(model)
    ramp = max(1, epochs // 2)
    masks = {}

    def apply():
        for i, keep in masks.items():
            m.layers[i].params["W"] *= keep

    def set_epoch(e):  # masks used during epoch e
        t = min((e + 1) / ramp, 1.0)
        masks.clear()
        masks.update(magnitude_masks(m, target * (1 - (1 - t) ** 3)))
        apply()

    set_epoch(0)
    if epochs:
        finetune(m, x, y, epochs=epochs, lr=lr, seed=seed, after_step=apply,
                 after_epoch=lambda e: set_epoch(e + 1), verbose=verbose)
    set_epoch(ramp)  # exactly the target, whatever the schedule did
    return m


# --- structured -------------------------------------------------------------

def _select_units(w: np.ndarray, fraction: float) -> np.ndarray:
    """Indices (sorted) of the output channels to keep: largest L1 norm."""
    norms = np.abs(w.reshape(w.shape[0], -1)).sum(axis=1)
    n_keep = max(1, int(round(len(norms) * (1.0 - fraction))))
    return np.sort(np.argsort(-norms, kind="stable")[:n_keep])


def shrink(model, fraction: float) -> nn.Sequential:
    """Copy of `model` with `fraction` of every hidden Conv2D/Dense's channels
    removed (smallest L1 norm), and the layers after them sliced to match."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    weighted = [i for i, l in enumerate(model.layers) if l.kind in PRUNABLE]
    last = weighted[-1] if weighted else -1
    keep = None          # kept channels (original indices) of the current tensor
    shape = model.input_shape
    layers, weights = [], []
    for i, l in enumerate(model.layers):
        cfg = l.get_config()
        w = {k: v.copy() for k, v in l.params.items()}
        if l.kind in ("conv2d", "dense"):
            if keep is not None:
                w["W"] = w["W"][..., keep]  # input channels are the last axis in both layouts
            if i != last:  # the output layer keeps every class
                out = _select_units(w["W"], fraction)
                w["W"], w["b"] = w["W"][out], w["b"][out]
                cfg["filters" if l.kind == "conv2d" else "units"] = len(out)
                keep = out
            else:
                keep = None
        elif l.kind == "depthwise_conv2d":
            if keep is not None:
                dm = l.depth_multiplier
                idx = (keep[:, None] * dm + np.arange(dm)[None, :]).ravel()
                w["W"], w["b"] = w["W"][..., idx], w["b"][idx]
                keep = idx
        elif l.kind == "flatten" and keep is not None and len(shape) == 3:
            # NHWC flatten: element (h, w, c) lands at (h*W + w)*C + c.
            hw = shape[0] * shape[1]
            keep = (np.arange(hw)[:, None] * shape[2] + keep[None, :]).ravel()
        # pools, ReLU, Dropout, GlobalAvgPool keep channels as they are
        layers.append(LAYER_KINDS[l.kind](**cfg))
        weights.append(w)
        shape = l.output_shape
    m = clone(model, layers)
    for layer, w in zip(m.layers, weights):
        for k, v in w.items():
            layer.params[k][...] = v
    return m


def prune_structured(model, x, y, fraction: float, epochs: int = 6, lr: float = 1e-3,
                     seed: int = 0, verbose: bool = False) -> nn.Sequential:
    """Smaller, fine-tuned copy of `model` (see shrink)."""
    m = shrink(model, fraction)
    if epochs:
        finetune(m, x, y, epochs=epochs, lr=lr, seed=seed, verbose=verbose)
    return m


# --- trade-offs -------------------------------------------------------------

def sparse_bytes(model) -> int:
    """Bytes with a bitmap sparse format: nonzero int8 weights + 1 bit per
    weight position, plus 12 bytes per channel (bias, multiplier, shift)."""
    total = 0
    for l in model.layers:
        if "W" in l.params:
            w = l.params["W"]
            total += int((w != 0).sum()) + (w.size + 7) // 8 + 12 * l.params["b"].size
    return total


def tradeoff_table(model, ds, sparsities=(0.5, 0.75, 0.9), fractions=(0.25, 0.5),
                   epochs: int = 6, seed: int = 0, verbose: bool = False) -> list:
    """Rows {method, amount, params, nonzero, bytes, sparse_bytes, float_acc, int8_acc}
    on the test split; row 0 is the unpruned baseline. bytes = dense int8 export."""
    from . import ptq

    def row(method, amount, m):
        qm = ptq.quantize(m, ds.x_train, ds.class_names)
        return dict(method=method, amount=amount, params=m.num_params(),
                    nonzero=nonzero_params(m), bytes=ev.qmodel_bytes(qm)["total"],
                    sparse_bytes=sparse_bytes(m),
                    float_acc=ev.accuracy(ev.float_predict(m, ds.x_test), ds.y_test),
                    int8_acc=ev.accuracy(ev.int8_predict(qm, ds.x_test), ds.y_test))

    rows = [row("none", 0.0, model)]
    for s in sparsities:
        m = prune_unstructured(model, ds.x_train, ds.y_train, s, epochs, seed=seed,
                               verbose=verbose)
        rows.append(row("unstructured", s, m))
    for f in fractions:
        m = prune_structured(model, ds.x_train, ds.y_train, f, epochs, seed=seed,
                             verbose=verbose)
        rows.append(row("structured", f, m))
    return rows


def format_table(rows) -> str:
    head = f"{'method':13s} {'amount':>6s} {'params':>7s} {'nonzero':>7s} {'bytes':>6s} " \
           f"{'sparseB':>7s} {'float':>6s} {'int8':>6s}"
    lines = [head]
    for r in rows:
        lines.append(f"{r['method']:13s} {r['amount']:6.2f} {r['params']:7d} {r['nonzero']:7d} "
                     f"{r['bytes']:6d} {r['sparse_bytes']:7d} {100 * r['float_acc']:6.2f} "
                     f"{100 * r['int8_acc']:6.2f}")
    return "\n".join(lines)
