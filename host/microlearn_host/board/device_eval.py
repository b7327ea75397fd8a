"""Run a quantized model on a virtual board over a whole data split.

The board gets the .mlm file and the int8 inputs (quantized on the host with
the reference, so the comparison is of the engines, not of float rounding),
runs predict_int8 on each, and prints every raw output as it goes; the host
reads them as they arrive (progress per sample) and they must equal the numpy
reference sample for sample. The board keeps no outputs, so its heap use does
not grow with the samples. Staged inputs cost a QEMU board room in its file
region, or heap where it has none, so inputs go in chunks sized by that room,
one board run per chunk.
"""
import numpy as np

from .. import modelfile
from ..convert import evaluate as ev
from ..quant import reference
from ..quant.qmodel import prepare
from . import progress as prog
from .runner import board_for, run_body

# Heap a QEMU board needs besides the staged input: the engine's modules, the interpreter's
# working set, garbage between collections.
HEAP_RESERVE = 64 * 1024


def _chunk_bytes(prof, model_bytes, arena):
    """Input bytes per board run: what the board has room for."""
    if prof["kind"] == "unix":
        return 1 << 30
    if prof.get("file_region"):  # staged files sit outside the heap; the modules and model too
        return prof["file_region"][1] // 2 - model_bytes
    # Staged files land in the heap, beside the model (its file, then the copy load() makes)
    # and the arena.
    free = prof["heap_bytes"] - 2 * model_bytes - arena - HEAP_RESERVE
    if free < 1024:
        raise ValueError("model of %d bytes with a %d-byte arena leaves no heap on %s for inputs"
                         % (model_bytes, arena, prof["name"]))
    return free // 2


class DeviceMismatch(AssertionError):
    pass


def reference_outputs(qm, xq):
    params = prepare(qm)
    return np.stack([reference.run(qm, x, params)[-1].reshape(-1) for x in xq])


def run(qm, x_raw, target, progress=None):
    """{'outputs': (N, n_out) int8, 'per_predict', 'unit', 'arena', 'model_bytes', ...}.

    progress(done, total) is called as samples come back; None shows a bar on stderr
    (see progress.py), False shows nothing."""
    mlm = modelfile.write(qm)
    xq = reference.quantize_input(qm, np.asarray(x_raw, np.float32)).reshape(len(x_raw), -1)
    xq = np.ascontiguousarray(xq.astype(np.int8))
    arena = modelfile.read(mlm)["arena_size"]
    per = max(1, _chunk_bytes(board_for(target), len(mlm), arena) // xq.shape[1])
    bar = prog.Bar(len(xq), "%s: %d samples" % (target, len(xq))) if progress is None else None
    report = bar if bar else (progress or None)
    rows, stats = [], None

    def on_line(line):
        if line.startswith("@o "):
            rows.append(line[3:])
            if report:
                report(len(rows), len(xq))
    try:
        for start in range(0, len(xq), per):
            chunk = xq[start:start + per]
            files = {"model.mlm": mlm, "x.bin": chunk.tobytes()}
            v = run_body(target, "eval_model.py", files=files, on_line=on_line)["eval"]
            if v["n"] != len(chunk) or len(rows) != start + len(chunk):
                raise RuntimeError("board %s ran %d of %d samples, sent %d outputs"
                                   % (target, v["n"], len(chunk), len(rows) - start))
            if stats is None or (stats["alloc_per_predict"] is None
                                 and v["alloc_per_predict"] is not None):
                stats = v
            stats["heap_free"] = min(stats["heap_free"], v["heap_free"])
    finally:
        if bar:
            bar.close()
    outputs = np.frombuffer(bytes.fromhex("".join(rows)), np.int8).reshape(len(xq), -1)
    stats = {k: stats[k] for k in ("unit", "per_predict", "arena", "loaded_bytes",
                                   "alloc_per_predict", "heap_free")}
    stats.update(outputs=outputs, model_bytes=len(mlm), xq=xq, runs=-(-len(xq) // per))
    return stats


def speed(res):
    """Time per predict for people: "1234 us", "13.10 M instructions", or "not measured"."""
    if res["unit"] == "us":
        return "%d us" % res["per_predict"]
    if res["unit"] == "instructions":
        return "%.2f M instructions" % (res["per_predict"] / 1e6)
    return "not measured (the board has no clock)"


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
