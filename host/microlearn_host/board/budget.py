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


class BudgetError(ValueError):
    pass


def code_bytes(arch):
    return sum(os.path.getsize(path) for _, path in mpy.device_package(arch))


def need(mlm, arch):
    """{'model', 'arena', 'code', 'reserve', 'total'} bytes for model file bytes `mlm`."""
    info = modelfile.read(mlm)
    parts = {"model": len(mlm), "arena": info["arena_size"], "code": code_bytes(arch), "reserve": RESERVE}
    parts["total"] = sum(parts.values())
    return parts


def check(mlm, board_name):
    """Return the need; BudgetError saying which budget and by how much when it does not fit."""
    board = boards.load(board_name)
    n = need(mlm, board["arch"])
    if n["total"] > board["heap_bytes"]:
        raise BudgetError(
            "model does not fit board %s: it needs %d bytes (model file %d + arena %d + microlearn "
            "code %d + %d working reserve) but the board's heap budget is %d bytes: over by %d bytes"
            % (board_name, n["total"], n["model"], n["arena"], n["code"], n["reserve"],
               board["heap_bytes"], n["total"] - board["heap_bytes"]))
    return n
