"""`microlearn bench`, learning section, "### Learner cost on the boards": what the device
Learner costs on the default models (issue #8), measured by device/scripts/bench_learner.py
on the boards, not on the host twin. Goals: one learn() with its replay <= 2x one predict()
(m0 instructions, unix32 time), Learner heap <= 16 KB, 0 bytes allocated per learn() and
predict() after the first call, heap flat over 10,000 learn() calls (unix32 only: on m0 that
is ~10^11 instructions per model, too slow under QEMU for the bench).
"""
import math

import numpy as np

from .. import modelfile, pipeline
from ..convert import ptq
from ..data import load
from ..learn import bases
from ..quant import reference
from .runs import MHZ, met, try_run

TITLE = "### Learner cost on the boards"
TARGETS = ("unix", "unix32", "m0")
RATIO_TARGETS = ("unix32", "m0")  # where issue #8 sets the learn / predict goal
WIDE_TARGETS = ("unix",)  # 64-bit: pointers and object headers twice a board's, no heap goal
FLAT_TARGET, STEPS, EVERY = "unix32", 10000, 2000
MAX_RATIO, MAX_HEAP = 2, 16 * 1024
N_INPUTS = 8  # test inputs the body cycles through


def default_models():
    """[(label, QModel, dataset name)]: the learning bench's three bases (cached, fast) and the
    default digits model as the demo builds it (trained with seed 0, ~5 s)."""
    model, ds = pipeline.train_default("digits", seed=0)
    return [("digits base 0-7", bases.subset_base("digits", list(range(8)), 0)[1], "digits"),
            ("watch base, new user 3", bases.watch_base(3, 0)[1], "watch"),
            ("spoken-digits base 0-7",
             bases.subset_base("spoken-digits", list(range(8)), 0)[1], "spoken-digits"),
            ("digits default (10 classes)", ptq.quantize(model, ds.x_train, ds.class_names),
             "digits")]


def _files(qm, dataset, target):
    x = reference.quantize_input(qm, load(dataset).x_test[:N_INPUTS]).reshape(N_INPUTS, -1)
    files = {"m.mlm": modelfile.write(qm), "x.bin": np.asarray(x, np.int8).tobytes()}
    if target == FLAT_TARGET:
        files["steps.txt"] = b"%d %d" % (STEPS, EVERY)
    return files


def measure(targets=TARGETS, models=None, log=print):
    """[(label, {target: results of bench_learner.py, or the failure's last line (a str)})]"""
    out = []
    for label, qm, dataset in models or default_models():
        per = {}
        for t in targets:  # a target not built, a board error: the table says so
            v, err = try_run(t, "bench_learner.py", _files(qm, dataset, t),
                             "bench: Learner on %s, %s" % (label, t))
            per[t] = v if err is None else err
        log("  Learner cost: %s measured" % label)
        out.append((label, per))
    return out


def _up(ratio):
    """Rounded up, so a ratio shown as 2.00 is within a 2x goal."""
    return math.ceil(ratio * 100 - 1e-9) / 100


def _time(v, unit):
    if unit == "us":
        return "%d us" % v
    return "%d instr (%.2f ms)" % (v, v / MHZ / 1000.0)


def _row(label, t, r):
    if isinstance(r, str):
        return "| %s | %s | run failed: %s |%s" % (label, t, r, " |" * 8)
    u, ratio = r["unit"], r["learn"] / r["predict"]
    heap = r["learner_heap"]
    verdict = met(ratio <= MAX_RATIO) if t in RATIO_TARGETS else "no goal here"
    heap_ok = met(heap <= MAX_HEAP) if t not in WIDE_TARGETS else "64-bit: no goal"
    note = " (defaults do not fit: %s)" % r["default_learner"] if "default_learner" in r else ""
    return ("| %s | %s | %d | %d / %d / %d%s | %d B / %d B | %s | %s | %.2fx: %s | %s "
            "| %d / %d: %s | %s |" % (
                label, t, r["D"], r["model_classes"], r["max_classes, slots"][0],
                r["max_classes, slots"][1], note, heap, r["learner_ram_bytes"],
                _time(r["predict"], u), _time(r["learn"], u), _up(ratio), verdict,
                _time(r["learn_new_class"], u), r["learn_alloc"], r["predict_alloc"],
                met(r["learn_alloc"] == 0 and r["predict_alloc"] == 0), heap_ok))


def _flat(label, r):
    if not isinstance(r, dict) or "flat_free" not in r:
        return None
    f = r["flat_free"]
    drift = ", ".join("%+d" % (v - f[0]) for v in f[1:])
    return "| %s | %d B | %s | %s |" % (label, f[0], drift, met(min(f) == f[0]))


def render(results):
    """The subsection's markdown from measure()'s list."""
    L = [TITLE, "",
         "The device Learner (`device/microlearn/learner.py`, its defaults: max_classes = the "
         "model's classes + 4, slots = as many stored embeddings per class as keep ram_bytes() "
         "within 16 KB (at most 20), replay 16) on the learning bench's bases and the default "
         "digits model, run by `device/scripts/bench_learner.py` on each board (one boot per "
         "model and board). Heap = `gc.mem_alloc()` before and after `Learner(model)`; "
         "ram_bytes() = the buffers the Learner counts. predict() = `Learner.predict` on an "
         "int8 input; learn() = one SGD step on a known class with its 16 replays; both "
         "averaged over 8 calls on m0 (instructions, exact; ms at %d MHz, one instruction per "
         "cycle) and 400 on Unix (us). New class = the first learn() of an unseen label (it "
         "imprints the class). Allocation = bytes per call after the first, collector off. "
         "Goals (issue #8): learn() <= %dx predict() (m0 instructions and unix32 time), "
         "heap <= 16 KB (on the 32-bit boards; unix is 64-bit), 0 bytes per call. The ratio is "
         "rounded up. Unix microseconds depend on the host CPU and its "
         "load; m0 instruction counts, heap and allocation figures repeat on any machine."
         % (MHZ, MAX_RATIO), "",
         "| model | target | D | classes / max / slots | heap (gc) / ram_bytes() | predict() "
         "| learn() incl. replay | learn / predict (goal <= %dx) | learn() new class "
         "| bytes per learn() / predict() (goal 0) | heap <= 16 KB |" % MAX_RATIO,
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, per in results:
        for t, r in per.items():
            L.append(_row(label, t, r))
    flat = [f for f in (_flat(label, per.get(FLAT_TARGET)) for label, per in results) if f]
    L += ["", "Heap over {:,} learn() calls on {} (the known classes in turn; not on m0: "
          "~10^11 instructions per model, too slow under QEMU): `gc.mem_free()` after a "
          "collect at the start, then its change every {:,} calls. Goal: flat (never below the start).".format(
              STEPS, FLAT_TARGET, EVERY), ""]
    if flat:
        L += ["| model | free at start | change at %s | flat |"
              % ", ".join(str(k) for k in range(EVERY, STEPS + 1, EVERY)), "|---|---|---|---|"]
        L += flat
    else:
        L.append("Not measured: no %s run." % FLAT_TARGET)
    return "\n".join(L) + "\n"


def section(targets=TARGETS, log=print):
    return render(measure(targets, log=log))
