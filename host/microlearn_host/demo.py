"""`microlearn demo` (`make demo`): the main job end to end on the embedded default.

Train the default digits model, quantize it to int8, write the device model
file, run it on the emulated boards over the whole test split (every output
checked against the numpy reference), and print a short report with the
confusion-matrix PNG path.
"""
import os
import time

from . import modelfile, pipeline
from .board import budget, device_eval
from .board import profiles as boards
from .convert import ptq
from .convert.qio import atomic_write_bytes

DEFAULT_OUT = os.path.join(boards.ROOT, "build", "demo")
RP2040_MHZ = 125  # instructions on m0 -> ms on an RP2040, at ~1 instruction per cycle


def _step(k, text):
    print("[%d/5] %s" % (k, text), flush=True)


def main(args):
    name, out = args.dataset, args.out or DEFAULT_OUT
    targets = [t for t in args.targets.split(",") if t]
    os.makedirs(out, exist_ok=True)

    _step(1, "train the default %s model (numpy, early stopping on validation)" % name)
    model, ds = pipeline.train_default(name, seed=args.seed, verbose=True)
    _step(2, "quantize to int8 (per-channel weights, ranges from the training set)")
    qm = ptq.quantize(model, ds.x_train, ds.class_names)
    rep = pipeline.evaluate(model, qm, ds)
    _step(3, "write the device model file")
    mlm = modelfile.write(qm)
    path = os.path.join(out, name + ".mlm")
    atomic_write_bytes(path, mlm)
    fits = {}
    for b in ("rp2040", "esp32"):
        try:
            fits[b] = budget.fits_line(b, budget.check(mlm, b))
        except budget.BudgetError as e:
            fits[b] = str(e)

    _step(4, "run it on %s over all %d test samples" % (", ".join(targets), len(ds.y_test)))
    rows = []
    for t in targets:
        t0 = time.monotonic()
        res = device_eval.run(qm, ds.x_test, t)
        device_eval.compare(qm, res, t)  # raises at the first differing byte
        rows.append((t, res, device_eval.accuracy(res["outputs"], ds.y_test), time.monotonic() - t0))

    _step(5, "confusion matrix")
    png = os.path.join(out, name + "-confusion.png")
    pipeline.confusion_png(rep["confusion_int8"], ds.class_names, png,
                           title="%s int8, test accuracy %.1f%%" % (name, 100 * rep["int8_accuracy"]))

    print("\n%s: %d parameters, trained in %.1f s" % (name, model.num_params(), model.train_seconds))
    print("  float accuracy (host)          %6.2f%%" % (100 * rep["float_accuracy"]))
    print("  int8 accuracy (host reference) %6.2f%%" % (100 * rep["int8_accuracy"]))
    print("  model file %s: %d bytes; activation arena %d bytes"
          % (os.path.relpath(path), len(mlm), rows[0][1]["arena"] if rows else modelfile.read(mlm)["arena_size"]))
    for b, text in fits.items():
        print("  %-7s %s" % (b, text))
    print("\n  %-7s %-9s %-22s %-16s %s" % ("board", "accuracy", "time per predict", "== reference", "wall"))
    for t, res, acc, wall in rows:
        if res["unit"] == "us":
            per = "%d us (this host)" % res["per_predict"]
        elif res["unit"] == "instructions":
            per = "%.2f M instr (~%.0f ms*)" % (res["per_predict"] / 1e6, res["per_predict"] / RP2040_MHZ / 1e3)
        else:
            per = "-"
        print("  %-7s %6.2f%%   %-22s %-16s %.1f s" % (t, 100 * acc, per, "all %d samples" % len(ds.y_test), wall))
    if any(r[1]["unit"] == "instructions" for r in rows):
        print("  * m0 counts emulated Cortex-M0 instructions; ms assumes an RP2040 at %d MHz, 1 instr/cycle" % RP2040_MHZ)
    print("\nconfusion matrix: %s" % os.path.relpath(png))
    return 0
