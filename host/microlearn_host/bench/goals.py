"""The dataset goals of `make bench`: accuracy, size and training time of the
default models, and their accuracy on the emulated boards (every output byte
checked against the numpy reference)."""
import time

import numpy as np

from .. import modelfile, pipeline
from ..board import device_eval
from ..convert import prune, ptq

GOALS = {"digits": 0.97, "spoken-digits": 0.95, "watch": None}
MAX_DROP = 0.005
MAX_MODEL, MAX_ARENA, MAX_TRAIN_S = 32 * 1024, 16 * 1024, 120
BOARDS = ("unix32", "m0")


def _mark(ok):
    return "yes" if ok else "**NO**"


def pruning_section(name="digits", seed=0):
    """Size/accuracy trade-offs of magnitude pruning (each with 6 epochs of fine-tuning)."""
    model, ds = pipeline.train_default(name, seed=seed)
    rows = prune.tradeoff_table(model, ds, seed=seed)
    out = ["## Pruning trade-offs (%s)" % name, "",
           "Unstructured pruning zeroes weights (the dense export keeps its size; 'sparse bytes' "
           "estimates a bitmap format); structured pruning removes whole filters/units, so the "
           "exported model really shrinks.", "",
           "| method | amount | params | nonzero | int8 bytes | sparse bytes (est.) | float | int8 |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %.2f | %d | %d | %d | %d | %.2f%% | %.2f%% |" % (
            r["method"], r["amount"], r["params"], r["nonzero"], r["bytes"], r["sparse_bytes"],
            100 * r["float_acc"], 100 * r["int8_acc"]))
    return "\n".join(out) + "\n"


def measure(name, seed=0):
    t0 = time.perf_counter()
    model, ds = pipeline.train_default(name, seed=seed)
    train_s = time.perf_counter() - t0
    qm = ptq.quantize(model, ds.x_train, ds.class_names)
    rep = pipeline.evaluate(model, qm, ds)
    mlm = modelfile.write(qm)
    row = {"name": name, "params": model.num_params(), "train_s": train_s, "float": rep["float_accuracy"],
           "int8": rep["int8_accuracy"], "model_bytes": len(mlm), "arena": modelfile.read(mlm)["arena_size"]}
    for b in BOARDS:
        res = device_eval.run(qm, ds.x_test, b)
        device_eval.compare(qm, res, b)
        row[b] = device_eval.accuracy(res["outputs"], ds.y_test)
        row[b + "_per_predict"] = (res["per_predict"], res["unit"])
    if ds.subjects_test is not None:
        row["subjects"] = pipeline.per_subject(rep["pred_int8"], ds.y_test, ds.subjects_test)
    return row


def section(targets=None):
    rows = [measure(n) for n in GOALS]
    out = ["## Default models and their goals", "",
           "`microlearn bench` trains each default model (seed 0), quantizes it (post-training, "
           "per-channel), and runs the int8 model over the whole test split on %s, where every "
           "output byte must equal the numpy reference (it does, or the bench stops). Goals: digits "
           ">= 97%% int8 with a float-to-int8 drop <= 0.5 points, spoken-digits >= 95%%, model file "
           "<= 32 KB, arena <= 16 KB, training <= 2 min on 2 cores." % " and ".join(BOARDS), "",
           "| dataset | params | train s | float | int8 (host) | drop | %s | model bytes | arena bytes | goals met |"
           % " | ".join(BOARDS),
           "|---|---|---|---|---|---|%s---|---|---|" % ("---|" * len(BOARDS))]
    for r in rows:
        goal = GOALS[r["name"]]
        ok = r["model_bytes"] <= MAX_MODEL and r["arena"] <= MAX_ARENA and r["train_s"] <= MAX_TRAIN_S
        if goal is not None:
            ok = ok and r["int8"] >= goal
        if r["name"] == "digits":
            ok = ok and r["float"] - r["int8"] <= MAX_DROP
        out.append("| %s | %d | %.1f | %.2f%% | %.2f%% | %+.2f | %s | %d | %d | %s |" % (
            r["name"], r["params"], r["train_s"], 100 * r["float"], 100 * r["int8"],
            100 * (r["float"] - r["int8"]), " | ".join("%.2f%%" % (100 * r[b]) for b in BOARDS),
            r["model_bytes"], r["arena"], _mark(ok)))
    out += ["", "Board accuracy takes the argmax of the int8 softmax output, as a device does; the host "
            "int8 column takes the argmax of the int8 logits, so a 1/256 tie in the softmax can "
            "make them differ by a sample.", ""]
    for r in rows:
        if "subjects" in r:
            acc = np.array(list(r["subjects"].values()))
            out.append("%s held-out subjects (int8): %s; spread %.1f points (min %.1f%%, max %.1f%%)." % (
                r["name"], ", ".join("subject %d %.1f%%" % (s, 100 * a) for s, a in r["subjects"].items()),
                100 * (acc.max() - acc.min()), 100 * acc.min(), 100 * acc.max()))
    per = ["%s %s: %s" % (r["name"], b, "%d %s" % r[b + "_per_predict"]) for r in rows for b in BOARDS]
    out += ["", "Time per predict: " + "; ".join(per) + ".", ""]
    return "\n".join(out) + "\n" + pruning_section()
