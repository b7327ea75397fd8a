"""Does a model fit a board? Heap the device needs vs the board's budget.

The engine keeps the whole model file in RAM (weights are views into it) and
one activation arena; the microlearn package itself is loaded as .mpy into
RAM too; and the script, the REPL and on-device learning need room to work.
On an ESP32 the viper kernels' machine code leaves the Python heap: the esp32
port copies it into ESP-IDF's executable memory as it loads each function
(esp_native_code_commit in ports/esp32/main.c), so it is counted there ('exec',
against the board's exec_bytes) and not in the heap total.
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
LOAD_PER_LAYER = 304
LOAD_PER_PARAM = 4
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
# The float input's quantize: imported with the kernels, but on first use for streamed
# weights (engine.py; budget_stream counts it in 'input', what float input costs).
LAZY = "quantize_viper"
# Imported by load(..., stream=True) only: a model whose weights stay in the file.
STREAMING = ("stream",)


# Arches whose port keeps .mpy machine code outside the Python heap (xtensawin: the esp32
# port, see above). Each function there costs its code rounded to 4 bytes plus this much:
# the port's 4-byte list link and the ESP-IDF allocator's block header.
NATIVE_OUT = ("xtensawin",)
EXEC_PER_FUNCTION = 16


class BudgetError(ValueError):
    pass


def _inference_modules(arch):
    mods = [(name.split("/")[-1][:-4], path) for name, path in mpy.device_package(arch)]
    skip = W32_ONLY if arch in mpy.THUMB_ARCHES or arch == "x64" else ()
    return [(mod, path) for mod, path in mods if mod in INFERENCE and mod not in skip]


def module_bytes(arch, mod, path):
    """(Python heap, executable memory) one imported module takes on a board of `arch`."""
    size = os.path.getsize(path)
    ex = 0
    if arch in NATIVE_OUT:
        with open(path, "rb") as f:
            code, funcs = mpy.machine_code(f.read())
        size -= code
        ex = ((code + 3) & ~3) + EXEC_PER_FUNCTION * funcs
    return size + CODE_PER_MODULE + MODULE_BUFFERS.get(mod, 0), ex


def code_parts(arch, quantize=True):
    """(Python heap, executable memory outside it) the microlearn modules take once imported
    on a viper board of `arch` (without the float input's quantize, which a streamed model
    imports on first use)."""
    parts = [module_bytes(arch, mod, path) for mod, path in _inference_modules(arch)
             if quantize or mod != LAZY]
    return sum(h for h, _ in parts), sum(e for _, e in parts)


def code_bytes(arch, quantize=True):
    """Python heap the microlearn modules take (code_parts)."""
    return code_parts(arch, quantize)[0]


def exec_bytes(arch, quantize=True):
    """Executable memory they take outside the heap, 0 where the heap holds it (code_parts)."""
    return code_parts(arch, quantize)[1]


def quantize_bytes(arch):
    """(heap, exec) of the float input's quantize module."""
    return [module_bytes(arch, mod, path) for mod, path in _inference_modules(arch) if mod == LAZY][0]


def input_parts(n_in, arch):
    """(heap, exec) that a streamed model's float input costs: its float32 copy (for a list
    input) and the quantize module, imported on first use."""
    h, e = quantize_bytes(arch)
    return 4 * n_in + h, e


def load_bytes(info):
    """Heap load() keeps besides file and arena, for modelfile.read() info."""
    n = LOAD_BASE + LOAD_PER_CLASS * len(info["class_names"])
    n += sum(16 * ((len(c.encode()) + 16) // 16) for c in info["class_names"])  # the str objects
    for L in info["layers"]:
        n += LOAD_PER_LAYER + LOAD_PER_PARAM * len(L["p"]) + (LOAD_PER_PAD if L["pad_p"] else 0)
    return n


def need(mlm, arch):
    """{'model', 'arena', 'load', 'input', 'code', 'peak', 'reserve', 'total', 'exec'} bytes
    for model file bytes `mlm`; 'input' is what float input costs (its float32 copy): none of
    it for int8 input."""
    info = modelfile.read(mlm)
    n_in = info["tensors"][0]["size"]
    code, ex = code_parts(arch)
    parts = {"model": len(mlm), "arena": info["arena_size"], "load": load_bytes(info),
             "input": 4 * n_in, "code": code, "peak": PEAK, "reserve": RESERVE}
    parts["total"] = sum(parts.values())
    parts["exec"] = ex  # not heap: not in the total
    return parts


def describe(n, skip=()):
    """'model M + arena A + ...' : the parts of need() that add up to its total (but skip)."""
    return " + ".join("%s %d" % (k, n[k]) for k in PARTS if k not in skip)


PARTS = ("model", "arena", "load", "input", "code", "peak", "reserve")


def exec_line(board_name, n):
    """'; its machine code ...' where the board keeps the code outside the heap, else ''."""
    if not n["exec"]:
        return ""
    return "; the kernels' machine code takes %d of the %d bytes of executable memory" % (
        n["exec"], boards.load(board_name)["exec_bytes"])


def fits_line(board_name, n):
    """The line export/deploy print for a model that fits: its parts add up to the total."""
    return "fits %s: %d of %d heap bytes (%s)%s" % (
        board_name, n["total"], boards.load(board_name)["heap_bytes"], describe(n),
        exec_line(board_name, n))


def check_exec(board_name, n):
    """BudgetError when the code's executable memory exceeds the board's."""
    room = boards.load(board_name).get("exec_bytes")
    if n["exec"] and (room is None or n["exec"] > room):
        raise BudgetError("the kernels' machine code needs %d bytes of executable memory on "
                          "board %s, which has %s" % (n["exec"], board_name,
                                                      "%d" % room if room else "none counted"))


def check(mlm, board_name):
    """Return the need; BudgetError saying which budget and by how much when it does not fit."""
    board = boards.load(board_name)
    n = need(mlm, board["arch"])
    check_exec(board_name, n)
    if n["total"] > board["heap_bytes"]:
        raise BudgetError(
            "model does not fit board %s: it needs %d bytes (%s) but the board's heap budget "
            "is %d bytes: over by %d bytes"
            % (board_name, n["total"], describe(n), board["heap_bytes"], n["total"] - board["heap_bytes"]))
    return n
