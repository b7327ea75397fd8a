"""Run a quantized model on a virtual board over a whole data split.

The board gets the .mlm file and the int8 inputs (quantized on the host with
the reference, so the comparison is of the engines, not of float rounding),
runs predict_int8 on each, and sends back every raw output. They must equal
the numpy reference sample for sample. QEMU boards hold staged files in a RAM
region of limited size, so inputs go in chunks, one board run per chunk.
"""
import numpy as np

from .. import modelfile
from ..convert import evaluate as ev
from ..quant import reference
from ..quant.qmodel import prepare
from .runner import board_for, run_body

HEAP_CHUNK = 12 * 1024  # QEMU boards without a file region keep staged files in the heap


def _chunk_bytes(prof):
    if prof["kind"] == "unix":
        return 1 << 30
    return prof["file_region"][1] // 2 if prof.get("file_region") else HEAP_CHUNK


class DeviceMismatch(AssertionError):
    pass


def reference_outputs(qm, xq):
    params = prepare(qm)
    return np.stack([reference.run(qm, x, params)[-1].reshape(-1) for x in xq])


def run(qm, x_raw, target, progress=None):
    """{'outputs': (N, n_out) int8, 'per_predict', 'unit', 'arena', 'model_bytes', ...}."""
    mlm = modelfile.write(qm)
    xq = reference.quantize_input(qm, np.asarray(x_raw, np.float32)).reshape(len(x_raw), -1)
    xq = np.ascontiguousarray(xq.astype(np.int8))
    per = max(1, _chunk_bytes(board_for(target)) // xq.shape[1])
    outs, stats = [], None
    for start in range(0, len(xq), per):
        chunk = xq[start:start + per]
        v = run_body(target, "eval_model.py", files={"model.mlm": mlm, "x.bin": chunk.tobytes()})["eval"]
        if v["n"] != len(chunk):
            raise RuntimeError("board %s ran %d of %d samples" % (target, v["n"], len(chunk)))
        outs.append(np.frombuffer(bytes.fromhex(v["outputs"]), np.int8).reshape(len(chunk), v["n_out"]))
        if stats is None or (stats["alloc_per_predict"] is None and v["alloc_per_predict"] is not None):
            stats = v
        if progress:
            progress(min(start + per, len(xq)), len(xq))
    stats = {k: stats[k] for k in ("unit", "per_predict", "arena", "loaded_bytes", "alloc_per_predict")}
    stats.update(outputs=np.concatenate(outs), model_bytes=len(mlm), xq=xq)
    return stats


def compare(qm, res, target):
    """Raise DeviceMismatch naming the first sample/element where the board differs."""
    want = reference_outputs(qm, res["xq"].reshape((-1,) + tuple(qm.input_shape)))
    got = res["outputs"]
    if got.shape != want.shape:
        raise DeviceMismatch("%s: output shape %s, reference %s" % (target, got.shape, want.shape))
    bad = np.argwhere(got != want)
    if len(bad):
        i, j = bad[0]
        raise DeviceMismatch("%s differs from the numpy reference in %d of %d samples; first: sample %d "
                             "element %d: board %d, reference %d" % (
                                 target, len(np.unique(bad[:, 0])), len(got), i, j, got[i, j], want[i, j]))
    return want


def accuracy(outputs, y):
    """Accuracy of argmax over the board's int8 output (what a device user gets)."""
    return ev.accuracy(outputs.reshape(len(outputs), -1).argmax(axis=1), y)
