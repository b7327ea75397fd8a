"""`microlearn bench`: speed and memory on the virtual boards -> docs/benchmarks.md.

Each bench body in device/scripts/bench_*.py runs with clock.py prepended; on m0 QEMU
runs with -icount so its clock counts instructions (QEMU's wall time says
nothing about a real MCU). Results are measured, never asserted.
"""
import datetime
import json
import os
import platform

from . import models as bench_models
from ..board import profiles as boards
from .runs import MHZ, run_body, try_run as _try

DOC = os.path.join(boards.ROOT, "docs", "benchmarks.md")
TARGETS = ("unix", "unix32", "m0")
GOAL_RATIO = 30


def rate_unit(unit):
    """The unit column's text for a board clock unit ("us" on unix, else instructions)."""
    return "M MAC/s (higher is better)" if unit == "us" else "instr/MAC (lower is better)"


def _rate(pair, unit):
    """A (time, MACs) pair as the number rate_unit(unit) names (no unit in the cell)."""
    t, macs = pair
    if unit == "us":
        return "%.2f" % (macs / t) if t else "-"
    return "%.1f" % (t / macs)


def _ratio(v):
    """viper speed / twin speed, flagged when below the goal."""
    if "viper" not in v:
        return "-"
    r = (v["plain"][0] / v["plain"][1]) / (v["viper"][0] / v["viper"][1])
    return "%.0fx" % r + ("" if r >= GOAL_RATIO else " (goal %dx)" % GOAL_RATIO)


def dot_table(results):
    """The dot-kernel table from {target: bench_dot.py's "dot" result}."""
    rows = ["| target | unit | viper | plain twin | viper / twin | ulab dot |", "|---|---|---|---|---|---|"]
    for t, v in results.items():
        speed = lambda k: v[k][0] / v[k][1]  # time per MAC
        ratio = "%.0fx" % (speed("plain") / speed("viper")) if "viper" in v else "-"
        rows.append("| %s | %s | %s | %s | %s | %s |" % (
            t, rate_unit(v["unit"]), _rate(v["viper"], v["unit"]) if "viper" in v else "no native emitter",
            _rate(v["plain"], v["unit"]), ratio, _rate(v["ulab"], v["unit"]) if "ulab" in v else "no ulab"))
    return "## int8 dot kernel (256x256 mat-vec)\n\n" + "\n".join(rows) + "\n"


def dot_section(targets):
    return dot_table({t: run_body(t, "bench_dot.py")["dot"] for t in targets})


def kernel_section(targets):
    """FC / conv / dwconv throughput: viper vs plain twin, ulab np.dot on the FC matrix."""
    kbin, kmeta = bench_models.kernel_cases()
    files = {"kcases.bin": kbin, "kcases.json": json.dumps(kmeta).encode()}
    rows = ["| kernel | MACs | target | unit | viper | plain twin | viper / twin | ulab np.dot |",
            "|---|---|---|---|---|---|---|---|"]
    for t in targets:
        v, err = _try(t, "bench_kernels.py", files)
        for name, _, _ in bench_models.KERNELS:
            c = kmeta[name]
            if err:
                rows.append("| %s | %d | %s | | run failed: %s | | | |" % (c["label"], c["macs"], t, err))
                continue
            k, unit = v["kernels"][name], v["kernels"]["unit"]
            rows.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
                c["label"], c["macs"], t, rate_unit(unit),
                _rate(k["viper"], unit) if "viper" in k else "no native emitter",
                _rate(k["plain"], unit), _ratio(k),
                _rate(k["ulab"], unit) if "ulab" in k else ("no ulab build given" if name == "fc" else "n/a")))
    return ("## Kernels: viper vs plain twin\n\n"
            "The arguments are the ones the engine builds (`bench_models.kernel_cases()`: a one-layer model "
            "through `modelfile.write`/`read`); conv inputs are the padded buffers (pad() is not timed). "
            "viper is what a board without the inline assembler runs (`load(..., kernels=\"viper\")`: on "
            "32-bit words, an ESP32's, conv in the pair form and depthwise on word loads; the byte loops "
            "on x64). Unix: repeated until each figure spans 30 ms. The plain twin runs the same layer restricted to "
            "its first 4 outputs (FC) or first output row (conv, dwconv): the same inner loops, fewer of them. "
            "Goal: viper >= %dx its twin. ulab's np.dot runs on the FC's 64x256 int8 matrix where the "
            "firmware has ulab (none of the targets built here does; `MICROPYTHON=path` with `--targets user` "
            "measures a build that has it).\n\n" % GOAL_RATIO) + "\n".join(rows) + "\n"


def _kb(n):
    return "%.1f KB" % (n / 1024.0)


def model_section(targets):
    """Whole models through the engine, one model per board boot."""
    files, meta = bench_models.model_files()
    rows = ["| model | target | MACs | predict() | first call | arena | file | heap after load (model's share) "
            "| bytes allocated per predict(): int8 / float array('f') / float list |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name in bench_models.MODELS:
        m = meta[name]
        for t in targets:
            f = {m["file"]: files[m["file"]], "models.json": json.dumps({name: m}).encode()}
            v, err = _try(t, "bench_models.py", f)
            head = "| %s | %s | %d |" % (bench_models.MODEL_LABELS[name], t, m["macs"])
            if err:
                rows.append(head + " run failed: %s | | | %d | | |" % (err, m["bytes"]))
                continue
            unit, r = v["models"]["unit"], v["models"][name]
            if "error" in r:
                rows.append(head + " **does not fit**: %s (%s free after import) | | | %d | | |" % (
                    r["error"], _kb(r["free"]), m["bytes"]))
                continue
            if unit == "us":
                lat, first = "%d us" % r["predict"], "%d us" % r["first"]
            else:
                lat = "%d instr (%.2f ms @ %d MHz)" % (r["predict"], r["predict"] / MHZ / 1000.0, MHZ)
                first = "%d instr" % r["first"]
            rows.append(head + " %s | %s | %d | %d | %s (%s) | %d / %d / %d |" % (
                lat, first, r["arena"], m["bytes"], _kb(r["heap_after"]),
                _kb(r["heap_after"] - r["heap_before"]), r["alloc"], r["alloc_float"], r["alloc_list"]))
    return ("## Whole models through the engine\n\n"
            "Random int8 weights with sane scales (`host/microlearn_host/bench/models.py`): a DS-CNN keyword "
            "spotter (49x10x1 MFCC; CONV 64 10x4 stride 2 SAME + ReLU; 4 x (DW 3x3 + CONV 1x1 64, ReLU); "
            "AVERAGE_POOL; FC 12; SOFTMAX) and an MLP 64-32-16-10 + SOFTMAX. int8 input, `predict()` "
            "(dequantized scores). Heap is `gc.mem_alloc()` after load and a collect; the share is the "
            "difference to before `load()` (the engine's and kernels' modules are imported before: "
            "imported inside load() on QEMU, they cut up the heap the model needs). On m0 the staged .mpy "
            "files and the model file sit in RAM outside the heap, as in a real board's flash; the engine "
            "copies the model file into the heap. Allocation per predict(): three calls after a "
            "warm-up call, with the collector off, averaged; int8 input (goal 0) and float input that "
            "the board normalises and quantizes (goal: a small constant, <= 2.5 KB). m0 milliseconds assume one instruction per "
            "cycle at 125 MHz (RP2040, before flash wait states). Each model runs on a fresh boot.\n\n") + \
        "\n".join(rows) + "\n"


def extra_sections(targets):
    """Sections other modules contribute (the dataset goals in bench_goals.py, when present)."""
    try:
        from .goals import section as goals
    except ImportError:
        return []
    text = goals() if callable(goals) else goals
    from .learning import section as learning
    from .active import section as active
    from .tradeoff import section as tradeoff
    log = lambda m: print(m, flush=True)  # noqa: E731
    return ([text] if text else []) + [learning(log=log, targets=targets, extra=tradeoff),
                                       active(log=log)]


def header(targets, host, date):
    """The page's opening: how it was measured and which figures vary between machines."""
    return (
        "# Benchmarks\n\nMeasured by `make bench` (`.venv/bin/microlearn bench --targets %s`) on %s, %s.\n"
        "Repeat with `make bench` (or `.venv/bin/microlearn bench --targets unix,unix32,m0`).\n"
        "Unix times are microseconds on this host; `m0` runs under `qemu-system-arm -icount shift=0` and "
        "counts instructions (a Cortex-M0+ at 125 MHz runs roughly one instruction per cycle, "
        "so instructions/125 ~ microseconds on an RP2040, before flash wait states).\n\n"
        "**Which figures vary between machines.** Unix timings (us, M MAC/s) and `train s` depend "
        "on the host CPU and its load. The trained models' figures (float, int8 (host) and board "
        "accuracy, drop, epochs, the pruning table) are seeded, and training does its matrix "
        "products in numpy's own loops (`nn.base.matmul`), not in the BLAS kernels OpenBLAS picks "
        "per CPU: those alone moved spoken-digits float accuracy between 98.00%% and 98.22%% and "
        "watch between 79.44%% and 79.70%% with the same seed. Now forcing OpenBLAS's Haswell, "
        "SkylakeX or Sandybridge kernels and turning numpy's AVX-512 off give bit-identical weights "
        "(tests/host/test_nn_train.py), so these figures repeat on any x86-64 machine with the same "
        "numpy; another numpy version or an ARM host may still round differently (expect up to "
        "~0.5 points on an accuracy there). Figures that do not vary: m0 instruction counts, "
        "model/file bytes, arena, heap and allocation figures for the same model, and every board "
        "output equalling the host reference.\n\n"
        % (",".join(targets), host, date))


def main(args):
    targets = [t for t in args.targets.split(",") if t]
    if getattr(args, "only", None) == "learning":  # the host twin, then the Learner's cost on boards
        from . import learning, tradeoff
        text = learning.section(log=lambda m: print(m, flush=True), targets=targets,
                                extra=tradeoff.section)
        print(text)
        print("written to", os.path.relpath(learning.update_doc(text)))
        return 0
    if getattr(args, "only", None) == "active":  # the active-learning section
        from . import active
        from .learning import update_doc
        text = active.section(log=lambda m: print(m, flush=True))
        print(text)
        print("written to", os.path.relpath(update_doc(text, title=active.TITLE)))
        return 0
    if getattr(args, "only", None) == "speed":  # kernel sets on the boards, per layer
        from . import speed
        from .learning import update_doc
        text = speed.section(log=lambda m: print(m, flush=True))
        print(text)
        print("written to", os.path.relpath(update_doc(text, title=speed.TITLE)))
        return 0
    if getattr(args, "only", None) == "streaming":  # models larger than the heap
        from . import streaming
        from .learning import update_doc
        text = streaming.section(log=lambda m: print(m, flush=True))
        print(text)
        print("written to", os.path.relpath(update_doc(text, title=streaming.TITLE)))
        return 0
    if getattr(args, "only", None) == "engine":  # the engine's sections: dot, kernels, models
        from .learning import update_doc
        for text in (dot_section(targets), kernel_section(targets), model_section(targets)):
            print(text)
            update_doc(text, title=text.split("\n", 1)[0])
        print("written to", os.path.relpath(DOC))
        return 0
    if getattr(args, "only", None) == "tradeoff":  # one subsection of the learning section
        from . import tradeoff
        text = tradeoff.section(log=lambda m: print(m, flush=True))
        print(text)
        print("written to", os.path.relpath(tradeoff.update_doc(text)))
        return 0
    from . import speed, streaming
    sections = [dot_section(targets), kernel_section(targets), model_section(targets),
                speed.section(log=lambda m: print(m, flush=True)),
                streaming.section(log=lambda m: print(m, flush=True))]
    sections += extra_sections(targets)
    text = header(targets, platform.node() or "this machine", datetime.date.today().isoformat())
    text += "\n".join(sections)
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    with open(DOC, "w") as f:
        f.write(text)
    print(text)
    print("written to", os.path.relpath(DOC))
    return 0
