"""`microlearn bench` section "Models larger than the heap" (issue #11): what streaming a
model's weights from its file costs against keeping them in the heap.

Each model runs once with its weights in RAM and once streamed (load(path, stream=True, wbuf=N)),
on the same instruction set: m0big is the m0 (QEMU micro:bit, armv6m, the RP2040's kernels)
with a 512 KB heap, where even the 245 KB person detector fits in RAM; m0 is the RP2040-sized
heap, where the big models only run streamed ("free" is its heap after load; its test harness
keeps 12 KB a board does not). Both modes must give the same output bytes. Bytes read per
inference are board/budget_stream.py's figure (stream.py's rules). The staged files live in
RAM: a board reads them from flash through littlefs, which adds a board-dependent cost per
byte that these counts do not hold; the emulator's RAM filesystem is Python code that
allocates two small views per read (a board's C filesystem allocates nothing), which is what
"allocated per inference" shows for a streamed run. The collector is off during the counted
inference. Run alone: `microlearn bench --only streaming`.
"""
from __future__ import annotations

import json
import os

import numpy as np

from .. import modelfile
from . import arena
from ..board import budget_stream
from ..board.profiles import ROOT
from ..quant import randmodel
from . import big_models, models as bench_models
from .runs import MHZ, met, try_run

TITLE = "## Models larger than the heap (streamed weights)"
BIG = os.path.join(ROOT, "boards", "bench", "m0big.json")
GOAL = 0.25  # person detection: streamed at most 25% more instructions than in RAM
# (model, [(target, stream, wbuf, verify)]): in RAM on m0big, streamed on m0big at the smallest
# buffer that holds the model and at the default, without the CRC check, and on the m0;
# "ds_cnn viper": the DS-CNN on the ESP32's kernels (load(..., kernels="viper")) and buffer
CASES = (
    ("person_detect", [(BIG, False, 0, True), (BIG, True, 5376, True), (BIG, True, 16384, True),
                       (BIG, True, 5376, False), ("m0", True, 5376, True)]),
    ("resnet8", [(BIG, False, 0, True), (BIG, True, 4096, True), (BIG, True, 16384, True),
                 ("m0", True, 4096, True)]),
    ("autoencoder", [(BIG, False, 0, True), (BIG, True, 1536, True), (BIG, True, 16384, True),
                     ("m0", True, 16384, True)]),
    ("ds_cnn", [("m0", False, 0, True), ("m0", True, 16384, True)]),
    ("ds_cnn viper", [("m0", False, 0, True), ("m0", True, 8192, True)]),  # the ESP32's path
)


def _model(key):
    return bench_models.ds_cnn() if key.startswith("ds_cnn") else big_models.MODELS[key]()


def measure(log=print):
    """{key: {"file", "macs", "runs": [(target, stream, wbuf, verify, result or error)]}}."""
    out = {}
    for key, runs in CASES:
        qm = _model(key)
        data = modelfile.write(qm)
        x = randmodel.random_input(np.random.default_rng(7), qm, saturate=0.1)
        files = {"model.mlm": data, "x.bin": np.asarray(x, np.int8).tobytes()}
        d = out[key] = {"file": len(data), "macs": bench_models.total_macs(qm), "runs": [],
                        "read": budget_stream.need(data, "armv6m", 16384)["read"],
                        "arena": arena.figures(data)}
        for target, stream, wbuf, verify in runs:
            files["cfg.json"] = json.dumps({"stream": stream, "wbuf": wbuf, "verify": verify,
                                            "kernels": key.split()[-1] if " " in key else "best"}).encode()
            name = "m0big" if target == BIG else target
            what = f"bench: {key} {'streamed wbuf=%d' % wbuf if stream else 'in RAM'} on {name}"
            res, err = try_run(target, "bench_stream.py", files, what)
            d["runs"].append((name, stream, wbuf, verify, res["run"] if res else err))
            log(f"  streaming: {what[7:]} measured")
    return out


def _instr(v):
    return f"{v / 1e6:.2f} M ({v / MHZ / 1000:.0f} ms)"


def render(res) -> str:
    L = [TITLE, "", __doc__.split("\n\n")[1].replace("\n", " "), "",
         "| model | file | MACs | run | load | inference | vs in RAM | heap free after load | "
         "allocated per inference | output |", "|---|---|---|---|---|---|---|---|---|---|"]
    goal = []
    for key, d in res.items():
        ram_t, ram = next(((t, r) for t, s, w, v, r in d["runs"] if not s and isinstance(r, dict)),
                          (None, None))
        for t, s, w, v, r in d["runs"]:
            run = (f"{t}, streamed, wbuf={w}" + ("" if v else ", verify=False")) if s else f"{t}, in RAM"
            if not isinstance(r, dict):
                L.append(f"| {key} | {d['file']:,} | {d['macs']:,} | {run} | - | failed: {r} | - | - | - | - |")
                continue
            vs = "-"
            if s and t == ram_t:
                over = r["infer"] / ram["infer"] - 1
                vs = f"{over * 100:+.1f}%"
                if key == "person_detect" and v and w == 5376 and t == "m0big":
                    goal.append(f"person detection streamed with wbuf=5376: {over * 100:+.1f}% "
                                f"instructions against in RAM (goal <= +{GOAL * 100:.0f}%: "
                                f"{met(over <= GOAL)})")
            same = ("-" if ram is None or r is ram else
                    "same as in RAM" if r["crc"] == ram["crc"] else "**differs**")
            L.append(f"| {key} | {d['file']:,} | {d['macs']:,} | {run} | {_instr(r['load'])} | "
                     f"{_instr(r['infer'])} | {vs} | {r['free']:,} B | {r.get('alloc', 0):,} B | {same} |")
    L.append("")
    L.append("Bytes read from the file per streamed inference: " + "; ".join(
        f"{k} {d['read']:,} (of a {d['file']:,}-byte file)" for k, d in res.items()) + ".")
    L.append("")
    if goal:
        L += ["Goal: " + "; ".join(goal) + ".", ""]
    L += ["Arena (microlearn_host/bench/arena.py, from the model file): the simple plan gives every "
          "activation and padded copy its own bytes; ours is the file's plan (lifetimes, greedy "
          "by size, padding in place where the input dies); the least any plan can do with "
          "these buffers is the most bytes alive at one layer.", "",
          "| model | simple plan | ours | least possible (at layer) |", "|---|---|---|---|"]
    for key, d in res.items():
        if "arena" in d and not key.endswith(" viper"):
            a = d["arena"]
            L.append(f"| {key} | {a['simple']:,} | {a['ours']:,} | {a['bound']:,} ({a['worst']}) |")
    L.append("")
    return "\n".join(L) + "\n"


def section(log=print) -> str:
    return render(measure(log=log))
