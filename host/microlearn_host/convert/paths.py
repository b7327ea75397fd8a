"""Output paths of the commands: the extension names the format, checked before any work.

A command calls out_kind() on every output before it loads, trains or
quantizes anything, so a typo costs nothing and nothing half-made is written.
"""
from __future__ import annotations

import os

# extension -> what is written there
KINDS = {".mlm": "mlm", ".tflite": "tflite", ".npz": "npz", ".png": "png"}
DESCRIBE = {"mlm": ".mlm (microlearn model file, what a board loads)",
            "tflite": ".tflite (int8 TFLite model)",
            "npz": ".npz", "png": ".png"}


def kind_of(path: str) -> str | None:
    return KINDS.get(os.path.splitext(path)[1].lower())


def out_kind(path: str, allowed, option: str = "--out", hint: str = "") -> str:
    """The kind of output `path` names, one of `allowed`; ValueError (naming the path) if
    the extension is another, or the file cannot be made there."""
    kind = kind_of(path)
    if kind not in allowed:
        ext = os.path.splitext(path)[1] or "no extension"
        raise ValueError(f"{option} {path}: {ext} is not a format this command writes; use "
                         + " or ".join(DESCRIBE[k] for k in allowed) + hint)
    check_writable(path)
    return kind


def check_writable(path: str) -> None:
    """ValueError unless `path` can be created: not a directory, and its nearest existing
    parent is a writable directory (missing ones are made when writing)."""
    if os.path.isdir(path):
        raise ValueError(f"{path} is a directory; give a file name")
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    shown = parent or "."
    if not os.path.isdir(shown):
        raise ValueError(f"{path}: {shown} is not a directory")
    if not os.access(shown, os.W_OK | os.X_OK):
        raise ValueError(f"{path}: no permission to write in {shown}")
