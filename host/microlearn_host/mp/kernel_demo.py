# MicroPython: run the int8 dot kernels on a 256x256 int8 mat-vec and report.
import sys
from microlearn import kernels, kernels_py

try:
    from time import ticks_us, ticks_diff
except ImportError:  # the QEMU firmwares have no time module
    ticks_us = None

N = 256
w = bytearray(N * N)
x = bytearray(N)
s = 7
for i in range(N * N):
    s = (s * 1103515245 + 12345) & 0x7FFFFFFF
    w[i] = s >> 23
for i in range(N):
    x[i] = (i * 37) & 0xFF
mv = memoryview(w)


def matvec(dot, rows):
    acc = 0
    for r in range(rows):
        acc += dot(mv[r * N:], x, N)
    return acc


def timed(dot, rows):
    t0 = ticks_us() if ticks_us else 0
    acc = matvec(dot, rows)
    us = ticks_diff(ticks_us(), t0) if ticks_us else None
    return acc, us


fast, us_fast = timed(kernels.dot_i8, N)
plain, us_plain = timed(kernels_py.dot_i8, 16)
check = matvec(kernels_py.dot_i8, N) == fast
print("@@ {\"result\": \"demo\", \"value\": {\"native\": %s, \"checksum\": %d, \"match\": %s, \"us_fast\": %s, \"us_plain16\": %s, \"bits\": %d}}" % (
    "true" if kernels.NATIVE else "false", fast, "true" if check else "false",
    "null" if us_fast is None else us_fast, "null" if us_plain is None else us_plain,
    64 if sys.maxsize > 2**31 else 32))
