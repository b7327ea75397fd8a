# Benchmark body (the host prepends clock.py): whole models through the
# engine. Per model (models.json, built by host bench/models.py): heap before and
# after load, predict() latency (second call on; the first is timed apart),
# and the bytes one predict() allocates after warm-up, for int8 and for float
# input (array('f') and list), measured with the collector off so that nothing
# is freed in between. The host runs one
# model per board boot: a heap fragmented by a previous model would tell
# nothing about this one.
import gc
import json
from array import array
import microlearn
import microlearn.engine  # the engine's and kernels' modules load before the first baseline
import microlearn.kernels  # noqa: F401 (imported inside load(), they cut up the heap it leaves)

MIN_US = 200000  # unix: average over enough calls to span this long; QEMU: one call is exact

with open("models.json") as f:
    models = json.load(f)
res = {"unit": UNIT}


def fill(n):
    x = bytearray(n)
    v = 777
    for i in range(n):  # LCG: a deterministic int8 input
        v = (v * 1103515245 + 12345) & 0x3FFFFFFF
        x[i] = v >> 22
    return x


def bench(meta):
    r = {}
    x = fill(meta["input"])
    gc.collect()
    r["heap_before"] = gc.mem_alloc()
    try:
        m = microlearn.load(meta["file"])
    except (MemoryError, ValueError) as e:
        r["error"] = "%s: %s" % (type(e).__name__, e)
        gc.collect()
        r["free"] = gc.mem_free()
        return r
    gc.collect()
    r["heap_after"] = gc.mem_alloc()
    r["arena"] = m.arena_size
    t0 = clock()
    m.predict(x)
    r["first"] = elapsed(t0)
    # allocation: three calls after a warm-up with the collector off, averaged; int8
    # input, and float input (normalised and quantized on the board) as array('f') and list
    xf = array("f", range(len(x)))  # not array("f", x): that would take x's raw bytes
    for i in range(len(x)):
        xf[i] = (x[i] - 128) / 32
    for key, inp in (("alloc", x), ("alloc_float", xf), ("alloc_list", list(xf))):
        m.predict(inp)
        gc.collect()
        gc.disable()
        a0 = gc.mem_alloc()
        for _ in range(3):
            m.predict(inp)
        a1 = gc.mem_alloc()
        gc.enable()
        r[key] = (a1 - a0) // 3
    xf = None
    t, n = repeat(m.predict, (x,), MIN_US)
    r["predict"] = t // n
    r["calls"] = n
    return r


for name in sorted(models, key=lambda k: models[k]["bytes"]):  # smallest first
    res[name] = bench(models[name])
    gc.collect()
print("@@ " + json.dumps({"result": "models", "value": res}))
