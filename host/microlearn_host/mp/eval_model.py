# Benchmark/eval body (the host prepends clock.py): run model.mlm on every
# int8 input in x.bin and report the raw int8 outputs, latency and memory.
import gc
import json
from binascii import hexlify

import microlearn

gc.collect()
base = gc.mem_alloc()
m = microlearn.load("model.mlm")
gc.collect()
loaded = gc.mem_alloc() - base
n_in = m.input_size
n_out = len(m.scores)
f = open("x.bin", "rb")
buf = bytearray(n_in)
outs = bytearray()
total = 0
count = 0
alloc = None
while f.readinto(buf) == n_in:
    a0 = gc.mem_alloc()
    t0 = clock()
    y = m.predict_int8(buf)
    total += elapsed(t0)
    if count == 1:  # the first call may allocate once; later ones must not
        alloc = gc.mem_alloc() - a0
    outs.extend(y)
    count += 1
f.close()
print("@@ " + json.dumps({"result": "eval", "value": {
    "n": count, "outputs": hexlify(outs).decode(), "n_out": n_out, "unit": UNIT,
    "per_predict": total // max(count, 1), "arena": m.arena_size, "loaded_bytes": loaded,
    "alloc_per_predict": alloc, "heap_free": gc.mem_free()}}))
