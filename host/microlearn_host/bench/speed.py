"""`microlearn bench` section "Speed on the boards" (issue #10): whole models and each of
their layers on the kernel sets, on the targets that count instructions.

m0 "thumb" is the RP2040 path: kernels.py picks the inline-assembler fc, conv and dwconv
(kernels_thumb.py) where the firmware has @micropython.asm_thumb, as stock rp2 does. m0
"viper" is the ESP32 path measured on the same instruction set (load(..., kernels="viper");
the esp32 port has no inline assembler). Unix figures are microseconds on this host (they
vary between machines; the instruction counts do not). Run alone: `microlearn bench --only speed`.
"""
from __future__ import annotations

import numpy as np

from .. import modelfile
from ..board.runner import run_body
from . import models as bench_models

TITLE = "## Speed on the boards (inline Thumb and viper kernels)"
MHZ = 125
GOALS = {"thumb": 15e6, "viper": 55e6}  # DS-CNN instructions per predict() on m0
RUNS = (("m0", "best"), ("m0", "viper"), ("unix32", "best"), ("unix", "best"))
OPS = {1: "FC", 2: "CONV", 3: "DW", 4: "AVGPOOL", 5: "MAXPOOL", 6: "MEAN", 7: "RESHAPE",
       8: "ADD", 9: "SOFTMAX"}


def models():
    """[(key, label, QModel)]: the bench DS-CNN, the default digits model, the MLP."""
    from .. import pipeline
    from ..convert import ptq
    model, ds = pipeline.train_default("digits", seed=0)
    return [("ds_cnn", bench_models.MODEL_LABELS["ds_cnn"], bench_models.ds_cnn()),
            ("digits", "digits default (8x8)", ptq.quantize(model, ds.x_train, ds.class_names)),
            ("mlp", bench_models.MODEL_LABELS["mlp"], bench_models.mlp())]


def measure(runs=RUNS, log=print, only=None):
    """{key: {"label", "macs": per layer, "runs": {(target, kernels): bench_layers result}}}."""
    out = {}
    for key, label, qm in models():
        if only and key not in only:
            continue
        n = int(np.prod(qm.input_shape))
        files = {"model.mlm": modelfile.write(qm)}
        d = out[key] = {"label": label, "runs": {},
                        "macs": [r[2] for r in bench_models.layer_macs(qm)]}
        for t, k in runs:
            files["cfg.txt"] = f"{k} {n}".encode()
            d["runs"][(t, k)] = run_body(t, "bench_layers.py", files=files, timeout=900)["layers"]
            log(f"  speed: {key} on {t} ({k} kernels) measured")
    return out


def _cost(v, unit):
    if unit == "us":
        return f"{v:,} us"
    return f"{v / 1e6:.2f} M ({v / MHZ / 1000:.1f} ms)"


def render(res) -> str:
    from .runs import met
    L = [TITLE, "", __doc__.split("\n\n")[1].replace("\n", " "), "",
         "m0 milliseconds assume one instruction per cycle at 125 MHz (an RP2040 running from "
         "SRAM or its XIP cache; flash misses add wait states).", "",
         "| model | MACs | m0 thumb | m0 viper (ESP32 path) | thumb / viper | unix32 | x64 |",
         "|---|---|---|---|---|---|---|"]
    for key, d in res.items():
        r = d["runs"]
        row = [d["label"], f"{sum(d['macs']):,}"]
        for tk in (("m0", "best"), ("m0", "viper")):
            row.append(_cost(r[tk]["total"], r[tk]["unit"]) if tk in r else "-")
        if ("m0", "best") in r and ("m0", "viper") in r:
            row.append(f"{r[('m0', 'viper')]['total'] / r[('m0', 'best')]['total']:.2f}x fewer")
        else:
            row.append("-")
        for tk in (("unix32", "best"), ("unix", "best")):
            row.append(_cost(r[tk]["total"], r[tk]["unit"]) if tk in r else "-")
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    if "ds_cnn" in res:
        r = res["ds_cnn"]["runs"]
        goals = []
        for k, name in (("best", "thumb"), ("viper", "viper")):
            if ("m0", k) in r:
                v = r[("m0", k)]["total"]
                goals.append(f"DS-CNN on m0, {name}: {v / 1e6:.1f} M instructions (goal <= "
                             f"{GOALS[name] / 1e6:.0f} M: {met(v <= GOALS[name])})")
        L += ["Goals: " + "; ".join(goals) + ".", ""]
    fc = [(k, res_k) for k, res_k in next(iter(res.values()))["runs"].items() if k[0] == "m0"]
    if fc:
        L += ["Kernel parts on m0: an FC of 64 outputs with 0 and 256 inputs, and a 1x1 conv "
              "of 16 output channels on 8x4 pixels with 32 and 64 input channels. Per MAC: the "
              "difference of the two (the inner loop, with the packing it needs); per output: "
              "the rest (requantization, clamp, store, loops).", "",
              "| kernels | FC: per output | FC: per MAC | 1x1 conv: per output | 1x1 conv: per MAC |",
              "|---|---|---|---|---|"]
        for (t, k), v in fc:
            cm = (v["conv64"] - v["conv32"]) / (32 * 16 * 32)
            co = (v["conv32"] - cm * 32 * 16 * 32) / (32 * 16)
            L.append(f"| {'thumb' if v['thumb'] else 'viper'} | {v['fc0'] / 64:.0f} | "
                     f"{(v['fc256'] - v['fc0']) / (64 * 256):.2f} | {co:.0f} | {cm:.2f} |")
        L.append("")
    for key, d in res.items():
        r = d["runs"]
        if ("m0", "best") not in r or ("m0", "viper") not in r:
            continue
        b, v = r[("m0", "best")]["layers"], r[("m0", "viper")]["layers"]
        L += [f"Per layer, {d['label']}, m0 (a padded layer includes its pad):", "",
              "| # | op | MACs | thumb | instr / MAC | viper | instr / MAC |",
              "|---|---|---|---|---|---|---|"]
        same = len(d["macs"]) == len(b)  # the file's layers are the model's
        for i, ((op, cb), (_, cv)) in enumerate(zip(b, v)):
            macs = d["macs"][i] if same else 0
            per = (lambda c: f"{c / macs:.1f}" if macs else "-")
            L.append(f"| {i} | {OPS.get(op, op)} | {macs:,} | {cb:,} | {per(cb)} | {cv:,} | "
                     f"{per(cv)} |")
        L.append("")
    return "\n".join(L) + "\n"


def section(log=print) -> str:
    return render(measure(log=log))
