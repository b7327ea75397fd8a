"""Play the same labelled stream on a board's Learner and check its head against the twin's.

The board gets the .mlm, the stream as int8 INPUTS (quantized on the host with the
reference, so the comparison is of the learners, not of float rounding) and the class
names; device/scripts/learn_stream.py replays it through microlearn.Learner and prints the
head (w8, wm, bias, bm) and its predictions on a few test inputs. Every element must equal
the twin's after the same stream; a difference names the first one.
"""
from __future__ import annotations

import json
import struct

import numpy as np

from .. import modelfile
from ..board import progress as prog
from ..data.loso import stream_order
from . import curve

OP_LEARN, OP_REMEMBER = 0, 1
HEAD = ("w8", "wm", "bias", "bm")
_DTYPES = {"w8": "<i1", "wm": "<i4", "bias": "<i4", "bm": "<i4"}
N_TEST = 32  # test inputs the board also predicts (its predictions must equal the twin's)


class BoardMismatch(ValueError):
    """The board's head differs from the twin's (the CLI prints it and exits 1)."""


def stream_file(sc, order_seed, budgets=curve.BUDGETS):
    """(bytes, n records): remember records for the replay seed, then the played stream."""
    order = stream_order(sc.y_stream, order_seed)
    played = order[:max(curve.round_ends(sc.y_stream, order, budgets).values())]
    recs = [struct.pack("BB", OP_REMEMBER, int(c)) + x.tobytes()
            for x, c in zip(sc.xq_seed, sc.y_seed)]
    recs += [struct.pack("BB", OP_LEARN, int(sc.y_stream[i])) + sc.xq_stream[i].tobytes()
             for i in played]
    return b"".join(recs), len(recs)


def first_difference(name, got, want):
    """None, or text naming the first differing element of two flat arrays."""
    got, want = np.asarray(got).reshape(-1), np.asarray(want).reshape(-1)
    if got.shape != want.shape:
        return f"{name}: board has {got.size} elements, twin {want.size}"
    bad = np.flatnonzero(got != want)
    if not len(bad):
        return None
    i = int(bad[0])
    return (f"{name}[{i}] differs: board {int(got[i])}, twin {int(want[i])} "
            f"({len(bad)} of {got.size} elements differ)")


def run_board(sc, order_seed, board, hyper, timeout=1800):
    from ..board.runner import run_body
    data, n = stream_file(sc, order_seed)
    mlm = modelfile.write(sc.qm)
    files = {"model.mlm": mlm, "stream.bin": data, "names.txt": "\n".join(sc.names).encode(),
             "test.bin": np.ascontiguousarray(sc.xq_test[:N_TEST]).tobytes(),
             "hyper.json": json.dumps(hyper).encode()}
    heads = {}
    bar = prog.Bar(n, f"{board}: learning", unit="label")

    def on_line(line):
        if line.startswith("@n "):
            bar(int(line.split()[1]))
        elif line.startswith("@h "):  # one piece of an array
            _, name, hexdata = line.split()
            heads[name] = heads.get(name, b"") + bytes.fromhex(hexdata)
    try:
        v = run_body(board, "learn_stream.py", files=files, timeout=timeout,
                     on_line=on_line)["learn"]
    except RuntimeError as e:  # the board's own traceback, for the one-line CLI error
        raise OSError(str(e)) from None
    finally:
        bar.close()
    if v["n"] != n:
        raise OSError(f"board {board} learned {v['n']} of {n} records")
    return {k: np.frombuffer(b, _DTYPES[k]) for k, b in heads.items()}, v


def _calls(v):
    rem = v["n"] - v["learns"]
    return (f"{rem} remember() + " if rem else "") + f"{v['learns']} learn() calls"


def check_board(sc, order_seed, board, ours, hyper) -> str:
    """Raise BoardMismatch at the first element where the board's head differs from the
    twin's (which has played the same stream); else a one-line summary."""
    heads, v = run_board(sc, order_seed, board, hyper)
    st = ours.t.state()
    for name in HEAD:
        if name not in heads:
            raise BoardMismatch(f"{board}: the board did not report {name}")
        diff = first_difference(name, heads[name], np.asarray(st[name]).astype(np.int64))
        if diff:
            raise BoardMismatch(f"{board} differs from the twin after {_calls(v)}: {diff}")
    want = ours.predict(sc.E_test[:N_TEST])
    got = np.frombuffer(bytes.fromhex(v["pred"]), np.uint8).astype(np.int64)
    diff = first_difference("prediction", got, want)
    if diff:
        raise BoardMismatch(f"{board}: {diff}")
    return (f"{board}: head after {_calls(v)} == twin ({', '.join(HEAD)}, every "
            f"element); {len(got)} test predictions == twin; "
            f"{v['per_learn']} {v['unit']} per learn()")
