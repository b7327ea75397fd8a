"""Board profiles: the data in boards/*.json, loaded and checked.

A profile is values only (see boards/README.md). Hardware boards are deploy
targets; virtual boards (kind "unix" or "qemu") are interpreters we run here.
"""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BOARDS_DIR = os.path.join(ROOT, "boards")
ARCHES = ("xtensawin", "armv6m", "armv7m", "x64", "x86")
KINDS = ("hardware", "unix", "qemu")
_REQUIRED = {"name", "kind", "arch", "heap_bytes"}


class BoardError(ValueError):
    pass


def names():
    return sorted(f[:-5] for f in os.listdir(BOARDS_DIR) if f.endswith(".json"))


def virtual_names():
    return [n for n in names() if load(n)["kind"] != "hardware"]


def load(name):
    """Return the profile of board `name`, or of the profile file at a path ending in .json
    (a board of your own). Unknown names list the known ones."""
    if not name:
        raise BoardError("no board given: name one, e.g. --board rp2040 or make deploy "
                         "BOARD=rp2040 PORT=/dev/ttyACM0 (known: %s)" % ", ".join(names()))
    if name.endswith(".json"):
        path = name
        if not os.path.isfile(path):
            raise BoardError("no board profile file %s (see boards/README.md)" % path)
    else:
        path = os.path.join(BOARDS_DIR, name + ".json")
        if "/" in name or not os.path.isfile(path):
            raise BoardError("unknown board %r (known: %s)" % (name, ", ".join(names())))
    with open(path) as f:
        try:
            prof = json.load(f)
        except ValueError as e:
            raise BoardError("board profile %s is not valid JSON: %s" % (path, e))
    missing = _REQUIRED - set(prof)
    if missing:
        raise BoardError("board profile %s lacks %s" % (path, ", ".join(sorted(missing))))
    if prof["kind"] not in KINDS:
        raise BoardError("board %s: kind %r not in %s" % (name, prof["kind"], KINDS))
    if prof["arch"] not in ARCHES:
        raise BoardError("board %s: arch %r not in %s" % (name, prof["arch"], ARCHES))
    for key in ("binary", "firmware"):
        if key in prof:
            prof[key] = os.path.join(ROOT, prof[key])
    prof["path"] = path  # deploy copies this file to the board as board.json
    return prof


def user_unix_board(binary):
    """Profile for a Unix MicroPython a user built (MICROPYTHON=path), e.g. one with ulab."""
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise BoardError("MICROPYTHON=%s is not an executable file" % binary)
    return {"name": "user", "kind": "unix", "arch": "x64", "binary": os.path.abspath(binary),
            "heap_bytes": 194560, "heap_arg": None,
            "description": "user-supplied MicroPython Unix binary " + binary}
