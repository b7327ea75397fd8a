# Benchmark body (the host prepends clock.py): one inference of model.mlm with its weights in
# the heap or streamed from the file. Files: model.mlm, x.bin (the int8 input), cfg.json
# {"stream": bool, "wbuf": bytes, "verify": bool, "kernels": "best" or "viper"}. Results "run": {"load": load()'s cost,
# "infer": the second whole inference (the first warms up; the collector off), "alloc": the
# bytes it allocated, "free": heap free after load,
# "crc": CRC32 of the output (both modes must give the same), "unit"}.
import gc
import json
from binascii import crc32
import microlearn

with open("cfg.json") as f:
    cfg = json.load(f)
gc.collect()
t0 = clock()
if cfg["stream"]:
    m = microlearn.load("model.mlm", cfg["kernels"], True, cfg["wbuf"], cfg["verify"])
else:
    m = microlearn.load("model.mlm", cfg["kernels"], False)
t_load = elapsed(t0)
gc.collect()
free = gc.mem_free()
with open("x.bin", "rb") as f:
    f.readinto(m._tv[0])  # the input in place, as a camera driver would write it
n = len(m._steps)
m._run(n)  # warm-up: predict_int8() on the input in place
with open("x.bin", "rb") as f:
    f.readinto(m._tv[0])
gc.collect()
gc.disable()  # no collection inside the count; what the run allocates is counted instead
a0 = gc.mem_alloc()
t0 = clock()
m._run(n)
t = elapsed(t0)
alloc = gc.mem_alloc() - a0
gc.enable()
res = {"unit": UNIT, "load": t_load, "infer": t, "free": free, "alloc": alloc,
       "crc": crc32(m._tv[-1]) & 0xFFFFFFFF}
print("@@ " + json.dumps({"result": "run", "value": res}))
