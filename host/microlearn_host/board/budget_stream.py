"""What a streamed model (load(path, stream=True), device/microlearn/stream.py) needs of a
board's heap, and what it reads from the file per inference: the host side of
docs/streaming.md for `export --board`. It mirrors stream.py's rules (which blobs stay in the
heap, how a layer is split into chunks of output channels)."""
import struct

from .. import modelfile
from . import budget, mpy, profiles as boards

SMALL = 512  # stream.SMALL: blobs up to this size stay in the heap
REC = 28 + 4 * 21  # stream._REC: the largest layer record
WBUF = {"esp32": 8192}  # load()'s default weight buffer per board; others 16384
STREAMED = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")
# Heap a streamed layer keeps besides the in-heap tables (its Streamed object, views, p
# arrays) and per chunk of a chunked layer (its views and output slice): fitted to unix32
# (tests/host/test_budget_device.py keeps them within its margin for the DS-CNN and an
# autoencoder whose FC layers run in up to 12 chunks).
STREAM_PER_LAYER = 200
STREAM_PER_CHUNK = 140
PARTS = ("tables", "arena", "wbuf", "kept", "tmp", "load", "input", "code", "peak", "reserve")


def _a4(n):
    return (n + 3) & ~3


def default_wbuf(board_name):
    return WBUF.get(board_name, 16384)


def _layers(info):
    """(i, op, blob bytes, p, weight bytes of one output channel or None for a blob kept in
    the heap) of every layer with a blob: stream.py's rule (small blobs, the softmax's table
    and the classifier head stay in the heap; a depthwise blob streams whole)."""
    layers = info["layers"]
    n = len(layers)
    head = n - 2 if n >= 2 and layers[-1]["op"] == "SOFTMAX" and layers[-2]["op"] == "FULLY_CONNECTED" else -1
    for i, L in enumerate(layers):
        b, op, p = L["blob_size"], L["op"], L["p"]
        if not b:
            continue
        streamed = op in STREAMED and b > SMALL and i != head
        per = (p[0] if op == "FULLY_CONNECTED" else p[6] * p[7] * p[2]) if streamed else None
        yield i, op, b, p, per


def need(mlm, arch, wbuf):
    """{part: bytes, 'total', 'read'}: 'read' is what one inference reads from the file.
    ValueError naming the layer when wbuf cannot hold one of its chunks."""
    info = modelfile.read(mlm)
    nl, lay_off = struct.unpack_from("<H", mlm, 16)[0], struct.unpack_from("<I", mlm, 28)[0]
    kept = read = tmp = objs = 0
    for i, op, b, p, per in _layers(info):
        if per is None:
            kept += _a4(b)
            continue
        read += b
        objs += STREAM_PER_LAYER + STREAM_PER_CHUNK
        if b <= wbuf:
            continue
        if op == "DEPTHWISE_CONV_2D":
            raise ValueError(f"layer {i} ({op}): its {b}-byte blob must fit the weight buffer "
                             f"(wbuf={wbuf})")
        nb = wbuf // (per + 12)
        while nb and _a4(nb * per) + 12 * nb > wbuf:
            nb -= 1
        if nb == 0:
            raise ValueError(f"wbuf={wbuf} is too small: layer {i} ({op}) needs "
                             f"{_a4(per) + 12} bytes for one output channel")
        if op == "CONV_2D":
            tmp = max(tmp, p[3] * p[4] * nb)
        n_out = p[1] if op == "FULLY_CONNECTED" else p[5]
        objs += STREAM_PER_CHUNK * ((n_out + nb - 1) // nb - 1)
    inp = budget.input_parts(info["tensors"][0]["size"], arch)  # quantize: on first use
    stream_code = [budget.module_bytes(arch, "stream", path) for name, path
                   in mpy.device_package(arch) if name.endswith("/stream.mpy")][0]
    code = budget.code_parts(arch, False)
    parts = {"tables": _a4(min(len(mlm) - 4, lay_off + nl * REC)), "arena": _a4(info["arena_size"]),
             "wbuf": _a4(wbuf), "kept": kept, "tmp": tmp, "load": budget.load_bytes(info) + objs,
             "input": inp[0], "code": code[0] + stream_code[0],
             "peak": budget.PEAK, "reserve": budget.RESERVE}
    parts["total"] = sum(parts[k] for k in PARTS)
    parts["read"] = read
    parts["exec"] = code[1] + stream_code[1] + inp[1]  # not heap: not in the total
    return parts


def min_wbuf(mlm):
    """The smallest weight buffer the model streams with: every depthwise blob whole, one
    output channel of every other streamed layer."""
    least = 0
    for i, op, b, p, per in _layers(modelfile.read(mlm)):
        if per is not None:
            least = max(least, b if op == "DEPTHWISE_CONV_2D" else _a4(per) + 12)
    return _a4(least)


def describe(n, skip=()):
    return " + ".join("%s %d" % (k, n[k]) for k in PARTS if k not in skip)


def report(mlm, board_name, wbuf=None):
    """The lines export --board prints: in the heap if it fits there, else streamed (with
    the bytes it reads per inference), else either of them fed int8 input only (no float
    copy, no quantize code); BudgetError when none fits."""
    board = boards.load(board_name)
    heap = board["heap_bytes"]
    n = budget.need(mlm, board["arch"])
    budget.check_exec(board_name, n)
    given = wbuf
    wbuf = wbuf or default_wbuf(board_name)
    try:
        s = need(mlm, board["arch"], wbuf)
    except ValueError as e:
        s, why = None, str(e)
    if not given and (s is None or s["total"] > heap):
        # the default buffer does not do: the largest smaller one that fits (a smaller buffer
        # means more chunks), else the smallest the model takes
        least = min_wbuf(mlm)
        tries = [(w, need(mlm, board["arch"], w))
                 for w in [b for b in (8192, 4096, 2048) if least < b < wbuf] + [least]]
        wbuf, s = next((x for x in tries if x[1]["total"] <= heap),  # float input too,
                       next((x for x in tries if x[1]["total"] - x[1]["input"] <= heap),  # int8
                            tries[-1]))
    streamed = "streamed (load(path, stream=True), wbuf=%d)" % wbuf
    if n["total"] <= heap:
        lines = [budget.fits_line(board_name, n)]
        if s is not None:
            lines.append("%s it would need %d of %d heap bytes and read %d bytes per inference"
                         % (streamed, s["total"], heap, s["read"]))
        return lines
    whole = ("does not fit %s in the heap: it needs %d of %d bytes (%s)"
             % (board_name, n["total"], heap, budget.describe(n)))
    if s is not None and s["total"] <= heap:
        return [whole, "fits %s %s: %d of %d heap bytes (%s); reads %d bytes from the file per "
                "inference%s" % (board_name, streamed, s["total"], heap, describe(s), s["read"],
                                 budget.exec_line(board_name, s))]
    int8 = ("with int8 input only (bytes, as a camera gives; float input would take %d bytes "
            "more: its float32 copy and the quantize code)")
    if n["total"] - n["input"] <= heap:
        return [whole, "fits %s in the heap %s: %d of %d heap bytes (%s)%s"
                % (board_name, int8 % n["input"], n["total"] - n["input"], heap,
                   budget.describe(n, ("input",)),
                   budget.exec_line(board_name, n))]
    if s is not None and s["total"] - s["input"] <= heap:
        return [whole, "fits %s %s %s: %d of %d heap bytes (%s); reads %d bytes from the file "
                "per inference%s" % (board_name, streamed, int8 % s["input"], s["total"] - s["input"],
                                     heap, describe(s, ("input",)), s["read"],
                                     budget.exec_line(board_name, s))]
    raise budget.BudgetError(
        "model does not fit board %s: in the heap it needs %d bytes (%s), streamed %s; the "
        "board's heap budget is %d bytes"
        % (board_name, n["total"], budget.describe(n),
           ("%d bytes (%s)" % (s["total"], describe(s))) if s is not None else "not at all: " + why,
           heap))
