# Benchmark body (the host prepends clock.py): FC / conv / dwconv kernel
# throughput, viper vs its plain-Python twin, and ulab's np.dot on the FC
# matrix where the firmware has ulab. kcases.json/.bin (host bench/models.py) hold
# the arguments exactly as the engine builds them (the input is filled with
# pseudo-random bytes here); each case is read into buffers reused by all.
# The twin runs the same layer restricted to its first rows/outputs (same
# inner loops, fewer of them): a whole layer would take minutes under QEMU.
import gc
import json
from array import array

MIN_US = 30000  # unix: repeat until a measurement spans this long; QEMU counts are exact: once

with open("kcases.json") as f:
    cases = json.load(f)


def timed(fn, args, macs):
    """(time, MACs done): one call on QEMU, on unix as many as fill MIN_US."""
    fn(*args)  # warm-up (and first-call effects) outside the timing
    t, n = repeat(fn, args, MIN_US)
    return t, n * macs


# One buffer of each kind, sized for the largest case and reused: a
# fragmented 190 KB heap may lack a fresh 16 KB block after the first case.
def biggest(key):
    return max(cases[k][key][1] if key == "blob" else cases[k][key] for k in cases)


xbuf = bytearray(biggest("n_x"))
bbuf = bytearray(biggest("blob"))
obuf = bytearray(biggest("n_out"))
v = 12345
for i in range(len(xbuf)):  # an LCG: int8 activations without shipping them
    v = (v * 1103515245 + 12345) & 0x3FFFFFFF
    xbuf[i] = v >> 22
# the kernel modules load after the big buffers, so they cannot fragment them
from microlearn import compat, kernels, kernels_py

# "viper": what a board without the assembler runs (an ESP32: the pair and word kernels on
# 32-bit words, the byte loops on x64)
_kv = kernels.named("viper") if kernels.NATIVE else None


def read(f, span, buf):
    b = memoryview(buf)[:span[1]]
    f.seek(span[0])
    f.readinto(b)
    return b


res = {"unit": UNIT}
f = open("kcases.bin", "rb")
for name in ("fc", "conv", "dwconv"):
    c = cases[name]
    gc.collect()
    x = memoryview(xbuf)[:c["n_x"]]
    blob = read(f, c["blob"], bbuf)
    nw, n = c["w"], c["n_ch"]
    o = (nw + 3) & ~3
    w = memoryview(blob)[:nw]
    bias = array("i", bytes(blob[o:o + 4 * n]))
    mult = array("i", bytes(blob[o + 4 * n:o + 8 * n]))
    shift = array("i", bytes(blob[o + 8 * n:o + 12 * n]))
    out = memoryview(obuf)[:c["n_out"]]
    p = array("i", c["p"])
    macs = c["macs"]
    r = {"macs": macs}
    if _kv:
        fn = getattr(_kv, name)
        r["viper"] = timed(fn, (x, w, bias, mult, shift, out, p), macs)
    # plain twin on the first rows (fc: outputs) only
    q = array("i", c["p"])
    if name == "fc":
        q[1] = 4
        part = q[0] * q[1]
    else:
        q[3] = 1
        part = macs // c["p"][3]
    fn = getattr(kernels_py, name)
    r["plain"] = timed(fn, (x, w, bias, mult, shift, out, q), part)
    np = compat.np
    if name == "fc" and np is not None:
        W = np.frombuffer(w, dtype=np.int8).reshape((c["p"][1], c["p"][0]))
        X = np.frombuffer(x, dtype=np.int8)
        r["ulab"] = timed(np.dot, (W, X), macs)
    res[name] = r
    del x, blob, w, out
f.close()
print("@@ " + json.dumps({"result": "kernels", "value": res}))
