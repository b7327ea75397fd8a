# Benchmark/eval body (the host prepends clock.py): run model.mlm on every
# int8 input in x.bin, print each sample's raw int8 output as it goes
# ("@o <hex>", nothing kept: the heap used does not grow with the samples),
# then latency and memory. x.bin can be large: it is read one sample at a time.
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
total = 0
count = 0
alloc = None
a0 = 0  # bound before measuring: creating a global can grow the globals dict
while f.readinto(buf) == n_in:
    if count == 0:  # a warm-up call may allocate once; measure the next one (untimed:
        m.predict_int8(buf)  # mem_alloc scans the heap, and clock reads box big ints)
        a0 = gc.mem_alloc()
        m.predict_int8(buf)
        alloc = gc.mem_alloc() - a0
    t0 = clock()
    y = m.predict_int8(buf)
    total += elapsed(t0)
    print("@o", hexlify(y).decode())
    count += 1
f.close()
gc.collect()
print("@@ " + json.dumps({"result": "eval", "value": {
    "n": count, "n_out": n_out, "unit": UNIT,
    "per_predict": total // max(count, 1), "arena": m.arena_size, "loaded_bytes": loaded,
    "alloc_per_predict": alloc, "heap_free": gc.mem_free()}}))
