# Benchmark body (the host prepends clock.py): int8 dot/mat-vec MAC rate,
# viper vs its plain-Python twin, and ulab's dot where the firmware has it.
from microlearn import kernels_py, compat
from microlearn.compat import native_kernels

_kv = native_kernels()
N = 256
w = bytearray((i * 7919) & 0xFF for i in range(N * N))
x = bytearray((i * 37) & 0xFF for i in range(N))
mv = memoryview(w)


def matvec(dot, rows):
    for r in range(rows):
        dot(mv[r * N:], x, N)


def measure(dot, rows):
    """(time, MACs): once on QEMU (exact counts), on unix repeated to span 30 ms."""
    n = 0
    t0 = clock()
    while True:
        matvec(dot, rows)
        n += 1
        t = elapsed(t0)
        if UNIT != "us" or t >= 30000:
            return t, n * rows * N


res = {"unit": UNIT}
if _kv:
    res["viper"] = measure(_kv.dot_i8, N)
res["plain"] = measure(kernels_py.dot_i8, 8)
np = compat.np
if np is not None:
    W = np.frombuffer(w, dtype=np.int8).reshape((N, N))
    X = np.frombuffer(x, dtype=np.int8)
    t0 = clock()
    np.dot(W, X)
    res["ulab"] = (elapsed(t0), N * N)
print("@@ " + __import__("json").dumps({"result": "dot", "value": res}))
