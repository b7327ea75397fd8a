"""Our Learner on the host: the bit-exact twin of the device Learner
(quant/learner_twin.py, written with the device code) behind the same small interface
as the baselines: learn(e, class index), predict(E) -> class indices, ram_bytes()."""
from __future__ import annotations

import numpy as np

from . import embed


def twin_module():
    try:
        from ..quant import learner_twin
    except ImportError as e:
        raise ValueError(f"the Learner's host twin is missing ({e}): it comes with the device "
                         f"Learner (quant/learner_twin.py)") from None
    return learner_twin


class Ours:
    def __init__(self, qm, names, **hyper):
        self.t = twin_module().LearnerTwin(qm, **hyper)
        self.names = [str(n) for n in names]
        h = embed.head(qm)
        self.zp_e, self.out_zp, self.act = h["zp_e"], h["out_zp"], h["act"]

    def remember(self, e, c: int) -> None:
        """Old-class embedding into the replay buffer, no learning step (a device that
        keeps a few embeddings per base class ships them with the model)."""
        self.t.remember(np.asarray(e, np.int8), self.names[c])

    def learn(self, e, c: int) -> None:
        self.t.learn(np.asarray(e, np.int8), self.names[c])

    def head(self):
        """(w8 (n, D), bias, mult, shift, names) of the current head."""
        s = self.t.state()
        names = [str(n) for n in s["names"]]
        n = len(names)
        mult = np.asarray(s["mult"], np.int64)
        w8 = np.asarray(s["w8"]).astype(np.int8).reshape(len(mult), -1)[:n]
        # the device folds the input zero point into its kernel bias; TFLM's bias is (bm+128)>>8
        bias = np.asarray(s["bias"], np.int64)[:n] + self.zp_e * w8.astype(np.int64).sum(1)
        return (w8, bias, mult[:n],
                np.asarray(s["shift"], np.int64)[:n], names)

    def predict(self, E) -> np.ndarray:
        w8, bias, mult, shift, names = self.head()
        lg = embed.logits(E, w8, bias, mult, shift, self.zp_e, self.out_zp, self.act)
        idx = np.array([self.names.index(n) for n in names])
        return idx[lg.argmax(axis=1)]  # first maximum wins, as Learner.predict

    def ram_bytes(self) -> int:
        r = getattr(self.t, "ram_bytes", None)
        if r is None:
            raise ValueError("the twin does not report its RAM (LearnerTwin.ram_bytes)")
        return int(r())
