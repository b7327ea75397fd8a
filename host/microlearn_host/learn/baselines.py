"""What the Learner is measured against, on the same int8 embeddings and labels.

Each learner takes labelled embeddings one at a time (learn(e, c), c a class index),
predicts class indices for a batch (predict(E)), and says how many bytes of RAM it would
hold on the device (ram_bytes()).
  NearestMean  imprinting only: a running int32 sum per class; predicts the class whose
               mean has the largest cosine similarity with the embedding (what an imprinted
               weight row does, without any training).
  KNN          stores every labelled embedding (int8 + a label byte); majority of the k
               nearest (squared Euclidean), a tie going to the class met first among them.
  oracle()     not a device learner: the better, on the test set, of a softmax head trained
               on the frozen embeddings of all the user's stream windows and the base head
               fine-tuned on them (float, full batch): the accuracy the embedding allows.
"""
from __future__ import annotations

import numpy as np


class NearestMean:
    def __init__(self, n_classes: int, dim: int, zp_e: int):
        self.sums = np.zeros((n_classes, dim), np.int64)
        self.counts = np.zeros(n_classes, np.int64)
        self.zp_e = int(zp_e)

    def learn(self, e, c: int) -> None:
        self.sums[c] += np.asarray(e, np.int64) - self.zp_e
        self.counts[c] += 1

    def predict(self, E) -> np.ndarray:
        xe = np.asarray(E, np.int64) - self.zp_e
        seen = self.counts > 0
        if not seen.any():
            raise ValueError("NearestMean has no labelled example yet")
        means = self.sums / np.maximum(self.counts, 1)[:, None]
        norms = np.sqrt((means ** 2).sum(axis=1))
        sim = (xe @ means.T) / np.where(norms > 0, norms, 1.0)
        sim[:, ~seen] = -np.inf
        return sim.argmax(axis=1)

    def ram_bytes(self) -> int:
        """int32 sum per class and dimension, and an int32 count per class."""
        return 4 * self.sums.size + 4 * self.counts.size


class KNN:
    def __init__(self, n_classes: int, dim: int, zp_e: int, k: int = 3):
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.n, self.dim, self.zp_e, self.k = n_classes, dim, int(zp_e), k
        self.items: list = []
        self.labels: list = []

    def learn(self, e, c: int) -> None:
        self.items.append(np.asarray(e, np.int8))
        self.labels.append(int(c))

    def predict(self, E) -> np.ndarray:
        if not self.items:
            raise ValueError("KNN has no labelled example yet")
        S = np.asarray(self.items, np.int64)
        lab = np.asarray(self.labels)
        X = np.asarray(E, np.int64)
        d = (X ** 2).sum(1)[:, None] - 2 * X @ S.T + (S ** 2).sum(1)[None, :]
        k = min(self.k, len(S))
        near = np.argsort(d, axis=1, kind="stable")[:, :k]  # equal distances: stored first
        out = np.empty(len(X), np.int64)
        for i, row in enumerate(lab[near]):
            votes = np.bincount(row, minlength=self.n)
            best = votes.max()
            out[i] = next(c for c in row if votes[c] == best)
        return out

    def ram_bytes(self) -> int:
        """Every stored embedding (int8) and its label byte."""
        return len(self.items) * (self.dim + 1)


def _train_head(F, y, W, b, steps, lr, l2):
    """Full-batch Adam on mean softmax cross-entropy + l2/2 |W|^2, from (W, b)."""
    W, b = W.copy(), b.copy()
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    Y = np.eye(W.shape[0])[y]
    for t in range(1, steps + 1):
        z = F @ W.T + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - Y) / len(F)
        grads = (g.T @ F + l2 * W, g.sum(axis=0))
        for i, (param, gr) in enumerate(zip((W, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr * gr
            param -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return W, b


def oracle(E_train, y_train, E_test, y_test, head: dict, n_classes: int,
           seed: int = 0) -> dict:
    """{"accuracy", "which", "from_scratch", "fine_tuned", "pred", "ram_bytes"}.

    head: embed.head(qm) of the base model (rows beyond its classes start at zero).
    Features are the dequantized embeddings (E - zp_e) * e_scale, as the FC sees them.
    """
    s, zp = head["e_scale"], head["zp_e"]
    F = (np.asarray(E_train, np.float64) - zp) * s
    Ft = (np.asarray(E_test, np.float64) - zp) * s
    y_train = np.asarray(y_train)
    d = F.shape[1]
    rng = np.random.default_rng(seed)
    W0 = rng.normal(0, 0.01, (n_classes, d))
    scratch = _train_head(F, y_train, W0, np.zeros(n_classes), steps=400, lr=0.05, l2=1e-3)
    nb = len(head["w8"])
    Wb = np.zeros((n_classes, d))
    bb = np.zeros(n_classes)
    Wb[:nb] = head["w8"].astype(np.float64) * head["w_scales"][:, None]
    bb[:nb] = head["bias"] * s * head["w_scales"]
    tuned = _train_head(F, y_train, Wb, bb, steps=150, lr=0.01, l2=1e-3)
    pred = {name: (Ft @ W.T + b).argmax(1)
            for name, (W, b) in (("from_scratch", scratch), ("fine_tuned", tuned))}
    acc = {name: float(np.mean(p == np.asarray(y_test))) for name, p in pred.items()}
    which = max(acc, key=acc.get)
    return {"accuracy": acc[which], "which": which, **acc, "pred": pred[which],
            # float32 head plus every stream embedding and its label, all kept
            "ram_bytes": 4 * n_classes * (d + 1) + len(F) * (d + 1)}
