# Budget probe (host-staged, see tests/host/test_budget_device.py): what
# loading model.mlm really costs on this board, in the heap the budget assumes.
# probe.json: {"free": F, "code_first": bool, "n": input size, "wbuf": W or
# absent}; with a wbuf the model loads streamed (stream=True, wbuf=W). The script
# makes its inputs (the user's data: F grows by their size), imports the engine
# first if code_first (and fills the holes its compiling left), then holds a ballast so that exactly F bytes are free,
# and then imports microlearn, loads the model and predicts once from float
# and once from int8 input. Reports "outcome" ("ok" or the exception) and the
# heap in use after the import ("code"), after load ("load") and after the
# predictions ("used"), each counted from the moment F bytes were free.
import gc
import json
from uctypes import addressof
from devtest import check, result, done

with open("probe.json") as f:
    cfg = json.load(f)
free, code_first, n, wbuf = cfg["free"], cfg["code_first"], cfg["n"], cfg.get("wbuf")
cfg = f = None
gc.collect()
a = gc.mem_alloc()
xf = [0.5] * n  # the user's data: part of the budget's reserve, so given back below
xb = bytes(n)
gc.collect()
free += gc.mem_alloc() - a
result("free wanted", free)
keep = [None] * 400


def pack_holes():
    """Fill the small free holes that compiling the engine from source left low in
    the heap (a board loads .mpy instead), so that what the ballast leaves free is one
    region: the measure is the engine's own need, load()'s own garbage included."""
    gc.collect()
    probe = bytearray(gc.mem_free() // 2)  # first fit: the start of the big free region
    start = addressof(probe)
    probe = None
    gc.collect()
    k = 0
    for size in (4096, 1024, 256, 64, 16):
        while k < len(keep):
            b = bytearray(size)
            if addressof(b) >= start:
                break
            keep[k] = b
            k += 1
    return k


if code_first:
    import microlearn.engine
    import microlearn.kernels
    microlearn.kernels.quantizer()  # float input's, imported on first use
    if wbuf:
        import microlearn.stream
    result("holes filled", pack_holes())
gc.collect()
result("free at start", gc.mem_free())
gc.collect()
ballast = None
if gc.mem_free() > free + 32:
    ballast = bytearray(gc.mem_free() - free - 16)  # 16: the bytearray's own header block
gc.collect()
result("free before load", gc.mem_free())
a0 = gc.mem_alloc()
outcome = "ok"
try:
    import microlearn
    if wbuf:
        m = microlearn.load("model.mlm", stream=True, wbuf=wbuf)
    else:  # the in-heap budget (stream=None would stream what is over it)
        m = microlearn.load("model.mlm", stream=False)
    gc.collect()
    result("load", gc.mem_alloc() - a0)
    m.predict(xf)
    m.predict(xb)
    gc.collect()
    result("used", gc.mem_alloc() - a0)
except ValueError as e:
    outcome = "ValueError: %s" % e
except Exception as e:  # a raw MemoryError is what this must never see
    import io
    import sys
    tb = io.StringIO()
    sys.print_exception(e, tb)
    outcome = tb.getvalue()
result("outcome", outcome)
check("load() gave a model or a ValueError", outcome == "ok" or outcome.startswith("ValueError"), outcome)
done()
