"""Play a labelled stream into learners and measure accuracy after k labels per class.

    res = play(sc, order_seed=0, learners=make_learners(sc, hyper))
    res["curves"]["ours"] -> accuracy after BUDGETS labels per class ([0] = before any)
Round r of the stream holds the r-th example of every stream class (data/loso.stream_order),
so "after k rounds" is "k labels per class" (fewer for a class that has fewer examples).
"""
from __future__ import annotations

import numpy as np

from . import baselines

BUDGETS = (1, 2, 5, 10, 20)
METHODS = ("ours", "nearest-mean", "knn")
LABELS = {"ours": "our Learner (twin)", "nearest-mean": "imprinting only (nearest class mean)",
          "knn": "3-NN on the embeddings"}


def make_learners(sc, hyper=None, methods=METHODS) -> dict:
    d = sc.E_stream.shape[1]
    n = len(sc.names)
    out = {}
    for m in methods:
        if m == "ours":
            from .ours import Ours
            out[m] = Ours(sc.qm, sc.names, **(hyper or {}))
        elif m == "nearest-mean":
            out[m] = baselines.NearestMean(n, d, sc.zp_e)
        elif m == "knn":
            out[m] = baselines.KNN(n, d, sc.zp_e, k=3)
        else:
            raise ValueError(f"unknown method {m!r}; known: {', '.join(METHODS)}")
    for name, L in out.items():
        for e, c in zip(sc.E_seed, sc.y_seed):
            (L.remember if name == "ours" else L.learn)(e, int(c))
    return out


def round_ends(y, order, budgets):
    """{k: number of stream examples played when every class has min(k, its count)}."""
    ys = np.asarray(y)[order]
    ends = {}
    for k in budgets:
        last = 0
        for c in np.unique(ys):
            pos = np.flatnonzero(ys == c)
            last = max(last, int(pos[min(k, len(pos)) - 1]) + 1)
        ends[k] = last
    return ends


def base_accuracy(sc) -> float:
    from . import embed
    h = embed.head(sc.qm)
    lg = embed.logits(sc.E_test, h["w8"], h["bias"], h["mult"], h["shift"], h["zp_e"],
                      h["out_zp"], h["act"])
    return float(np.mean(lg.argmax(1) == sc.y_test))


def accuracies(pred, sc):
    out = {"all": float(np.mean(pred == sc.y_test))}
    if sc.old is not None:
        out["old"] = float(np.mean(pred[sc.old] == sc.y_test[sc.old]))
        out["new"] = float(np.mean(pred[~sc.old] == sc.y_test[~sc.old]))
    return out


def play(sc, order_seed: int, learners: dict, budgets=BUDGETS, progress=None) -> dict:
    """{"budgets", "curves": {method: [acc dict per budget]}, "ram": {method: bytes},
    "played": examples per budget}; progress(done, total) after every example."""
    from ..data.loso import stream_order
    order = stream_order(sc.y_stream, order_seed)
    ends = round_ends(sc.y_stream, order, budgets)
    total = max(ends.values())
    curves = {m: [] for m in learners}
    at = sorted(set(ends.values()))
    done = 0
    for stop in at:
        for i in order[done:stop]:
            for L in learners.values():
                L.learn(sc.E_stream[i], int(sc.y_stream[i]))
            done += 1
            if progress:
                progress(done, total)
        for m, L in learners.items():
            curves[m].append((stop, accuracies(L.predict(sc.E_test), sc)))
    out = {m: [dict(c)[ends[k]] for k in budgets] for m, c in curves.items()}
    return {"budgets": list(budgets), "curves": out, "played": [ends[k] for k in budgets],
            "ram": {m: L.ram_bytes() for m, L in learners.items()}}


def png(path, title, budgets, curves: dict, base=None, oracle=None, key="all") -> None:
    """Accuracy against labels per class, one line per method (atomic write)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for m, ys in curves.items():
        ax.plot(budgets, [100 * y[key] for y in ys], marker="o", label=LABELS.get(m, m))
    if oracle is not None:
        ax.axhline(100 * oracle, color="k", ls="--", lw=1, label="oracle (all stream data)")
    if base is not None:
        ax.axhline(100 * base, color="gray", ls=":", lw=1, label="base model")
    ax.set_xscale("log")
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.minorticks_off()  # log-axis minor labels ("3x10^0") say nothing here
    ax.set_xlabel("labels per class")
    ax.set_ylabel(f"test accuracy, % ({key} classes)" if key != "all" else "test accuracy, %")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    from ..pipeline import save_png
    save_png(fig, path)
