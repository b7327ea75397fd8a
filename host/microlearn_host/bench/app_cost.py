"""`microlearn bench`, active-learning section, "### The app on the boards": what the whole
active-learning app costs (issue #9), measured by device/scripts/bench_app.py: the heap of
its modules, the model, the Learner and the App together, against the RP2040's and the
ESP32's heap, and the time of one loop pass (nothing to do, a sample passed, a question
opened, an answer learned). m0 counts instructions (exact); unix32 microseconds vary with
the host CPU and its load. m0 runs the RP2040's kernel set (inline Thumb), unix32 the ESP32's
(viper on 32-bit words): the ESP32 fit is read from unix32.
"""
import numpy as np

from .. import modelfile
from ..board import profiles
from .runs import MHZ, met, try_run

TITLE = "### The app on the boards"
TARGETS = ("unix32", "m0")
N_SAMPLES = 230  # inputs the body plays (the unix timing plays 200 + the first few)
PASSES = (("idle_pass", "nothing to do"), ("sample_pass", "a sample, no question"),
          ("ask_pass", "a sample, a question opens"), ("learn_pass", "an answer learned"))


def models():
    """[(label, QModel, int8 inputs)]: the demo's watch base and the default digits model."""
    from ..convert import ptq
    from ..data import loso
    from ..learn import bases
    from .. import pipeline
    from ..quant import reference
    qm = bases.watch_base(3, 0)[1]
    u = loso.user_data(3, "same-arm")
    xw = reference.quantize_input(qm, u.x_stream[np.arange(N_SAMPLES) % len(u.x_stream)])
    model, ds = pipeline.train_default("digits", seed=0)
    qd = ptq.quantize(model, ds.x_train, ds.class_names)
    xd = reference.quantize_input(qd, ds.x_test[:N_SAMPLES])
    return [("watch base, new user 3 (the demo's)", qm, xw), ("digits default", qd, xd)]


def measure(targets=TARGETS, log=print):
    out = []
    for label, qm, x in models():
        files = {"m.mlm": modelfile.write(qm),
                 "x.bin": np.ascontiguousarray(x, np.int8).reshape(len(x), -1).tobytes()}
        per = {}
        for t in targets:
            v, err = try_run(t, "bench_app.py", files, "bench: the app on %s, %s" % (label, t))
            per[t] = v if err is None else err
        log("  app cost: %s measured" % label)
        out.append((label, per))
    return out


def _time(v, unit):
    return "%d us" % v if unit == "us" else "%d instr (%.2f ms)" % (v, v / MHZ / 1000.0)


def render(results) -> str:
    rp, esp = profiles.load("rp2040")["heap_bytes"], profiles.load("esp32")["heap_bytes"]
    text = __doc__.split("\n\n")[0].split(":", 1)[1].strip().replace("\n", " ")
    L = [TITLE, "", text[0].upper() + text[1:], "",
         "| model | target | app heap (free after) | " +
         " | ".join(name for _, name in PASSES) + " | fits RP2040 (%d B) | fits ESP32 (%d B) |"
         % (rp, esp), "|---|---|---|" + "---|" * (len(PASSES) + 2)]
    for label, per in results:
        for t, r in per.items():
            if isinstance(r, str):
                L.append("| %s | %s | run failed: %s |%s" % (label, t, r, " |" * (len(PASSES) + 2)))
                continue
            ok = r["learned"] and r["asked"]
            cells = [_time(r[k], r["unit"]) for k, _ in PASSES]
            # m0 imports the Thumb kernels, which an ESP32 never does: its ESP32 fit is the
            # unix32 row's (the ESP32's kernel set on 32-bit words)
            esp_cell = met(r["app_heap"] <= esp) if t != "m0" else "see unix32"
            L.append("| %s | %s | %d B (%d B) | %s | %s | %s |" % (
                label, t, r["app_heap"], r["free"], " | ".join(cells),
                met(r["app_heap"] <= rp), esp_cell) +
                ("" if ok else " (the script did not learn or ask as planned)"))
    return "\n".join(L) + "\n"


def section(targets=TARGETS, log=print) -> str:
    return render(measure(targets, log))
