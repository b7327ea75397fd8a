"""Does a model fit a board? Heap the device needs vs the board's budget.

The engine keeps the whole model file in RAM (weights are views into it) and
one activation arena; the microlearn package itself is loaded as .mpy into
RAM too; and the script, the REPL and on-device learning need room to work.
"""
import os

from .. import modelfile
from . import mpy
from . import profiles as boards

RESERVE = 16 * 1024  # working room: the user's script, gc headroom, learning buffers
# Heap that load() keeps besides the file and the arena (layer table, kernel
# argument tuples, views, the output table), measured on m0 and unix32
# (tests/host/test_budget_device.py keeps these honest): a fixed part, per
# layer, per int32 of its kernel parameters, per padded layer, per class name.
LOAD_BASE = 1800
LOAD_PER_LAYER = 320
LOAD_PER_PARAM = 8
LOAD_PER_PAD = 150
LOAD_PER_CLASS = 24
# A module loaded from .mpy costs its file size plus this (module, globals, functions, qstrs).
CODE_PER_MODULE = 520
# Heap load() needs only while it runs, and what garbage splits off the free heap: the
# minimum free heap at which a model loads exceeds what stays in use by up to this much
# (measured on m0: 2.6-8.4 KB; most of it while the kernels are imported after the file).
PEAK = 10 * 1024
# Which device modules load() + predict() import on a viper board (and on an ARM one). The plain twins are never
# imported there (microlearn/kernels.py picks), and the learning modules only by a Learner
# (microlearn.Learner is lazy), whose own heap is counted by the Learner, not here.
# tests/host/test_budget.py fails when a device module is in none of these lists.
INFERENCE = ("__init__", "compat", "engine", "inputs", "kernels", "kernels_viper",
             "kernels_viper32", "kernels_viper_pair", "kernels_viper_pool", "lut_viper",
             "modelfile", "quantize_viper", "softmax_viper", "pairs_viper",
             "kernels_thumb")  # kernels_thumb: ARM arches only (mpy.THUMB_ONLY)
# Imported only where viper runs on 32-bit words without the assembler (esp32; kernels.W32):
# on ARM the assembler kernels take their layers, x64 keeps the byte loops.
W32_ONLY = ("kernels_viper32", "kernels_viper_pair", "pairs_viper")
# Scratch buffers a kernel module allocates when imported (its accumulators, packed pairs,
# windows), bytes with their object headers. kernels_thumb's packed-pair buffer is 2 KB here:
# kernels.py makes it 4 KB only when >= 72 KB of heap are free at its import.
MODULE_BUFFERS = {"kernels_viper32": 1024 + 16, "kernels_viper_pair": 512 + 2048 + 32,
                  "kernels_thumb": 2048 + 644 + 24 + 24 + 20 + 80 + 12 + 7 * 16}
TWINS = ("kernels_py", "kernels_py_pool", "softmax", "quantize", "learn_py")
LEARNING = ("learner", "learn_head", "learn_viper", "learn_py", "state")
# The active-learning app's modules: imported by microlearn.app only (bench/app_cost.py
# measures the whole app's heap on the boards).
APP = ("app", "ask", "button", "led", "query", "sources")
# Imported by load(..., stream=True) only: a model whose weights stay in the file.
STREAMING = ("stream",)


class BudgetError(ValueError):
    pass


def code_bytes(arch):
    """Heap the microlearn modules take once imported on a viper board of `arch`."""
    mods = [(name.split("/")[-1][:-4], path) for name, path in mpy.device_package(arch)]
    skip = W32_ONLY if arch in mpy.THUMB_ARCHES or arch == "x64" else ()
    return sum(os.path.getsize(path) + CODE_PER_MODULE + MODULE_BUFFERS.get(mod, 0)
               for mod, path in mods if mod in INFERENCE and mod not in skip)


def load_bytes(info):
    """Heap load() keeps besides file and arena, for modelfile.read() info."""
    n = LOAD_BASE + LOAD_PER_CLASS * len(info["class_names"])
    n += sum(16 * ((len(c.encode()) + 16) // 16) for c in info["class_names"])  # the str objects
    for L in info["layers"]:
        n += LOAD_PER_LAYER + LOAD_PER_PARAM * len(L["p"]) + (LOAD_PER_PAD if L["pad_p"] else 0)
    return n


def need(mlm, arch):
    """{'model', 'arena', 'load', 'input', 'code', 'peak', 'reserve', 'total'} bytes for
    model file bytes `mlm`; 'input' is the float32 copy of a list input, made on first use."""
    info = modelfile.read(mlm)
    n_in = info["tensors"][0]["size"]
    parts = {"model": len(mlm), "arena": info["arena_size"], "load": load_bytes(info),
             "input": 4 * n_in, "code": code_bytes(arch), "peak": PEAK, "reserve": RESERVE}
    parts["total"] = sum(parts.values())
    return parts


def describe(n):
    """'model M + arena A + ...' : the parts of need() that add up to its total."""
    return " + ".join("%s %d" % (k, n[k]) for k in PARTS)


PARTS = ("model", "arena", "load", "input", "code", "peak", "reserve")


def fits_line(board_name, n):
    """The line export/deploy print for a model that fits: its parts add up to the total."""
    return "fits %s: %d of %d heap bytes (%s)" % (board_name, n["total"],
                                                   boards.load(board_name)["heap_bytes"], describe(n))


def check(mlm, board_name):
    """Return the need; BudgetError saying which budget and by how much when it does not fit."""
    board = boards.load(board_name)
    n = need(mlm, board["arch"])
    if n["total"] > board["heap_bytes"]:
        raise BudgetError(
            "model does not fit board %s: it needs %d bytes (%s) but the board's heap budget "
            "is %d bytes: over by %d bytes"
            % (board_name, n["total"], describe(n), board["heap_bytes"], n["total"] - board["heap_bytes"]))
    return n
