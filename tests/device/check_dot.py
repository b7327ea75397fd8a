# The first kernel through the whole chain: viper int8 dot product vs its
# plain-Python twin, sign extension, and the accumulator's word size.
import sys
from devtest import check, equal, result, done, target
from microlearn import kernels, kernels_py

# Allocated first, while the heap is unfragmented: 128 KB of 190 KB.
# n = 2**17 products of 16384 sum to 2**31: one past INT32_MAX.
n = 1 << 17
buf = bytearray(n)
buf[0] = 0x80
k = 1
mv = memoryview(buf)
while k < n:  # doubling copies: no second n-byte buffer
    mv[k:2 * k] = mv[:k]
    k *= 2

info = target()
result("target", info)
check("viper kernels selected", kernels.NATIVE, "kernels.NATIVE is False: native emitter missing?")
from microlearn import kernels_viper  # noqa: E402 (after the selection check above)

got = kernels_viper.dot_i8(buf, buf, n)
if info["bits"] == 32:
    equal("viper wraps at 32 bits", got, -(1 << 31))
else:
    equal("viper keeps 64-bit words on x64", got, 1 << 31)
equal("twin wraps like an int32 accumulator", kernels_py.dot_i8(buf, buf, n), -(1 << 31))
del buf, mv

# Independent expectation: int values multiplied by the interpreter itself.
a = bytearray([1, 0xFE, 3])  # 1, -2, 3
b = bytearray([4, 5, 0xFA])  # 4, 5, -6
equal("hand example viper", kernels_viper.dot_i8(a, b, 3), 4 - 10 - 18)
equal("hand example twin", kernels_py.dot_i8(a, b, 3), 4 - 10 - 18)

# Sign extension at the extremes.
for n in (1, 3, 4, 5, 64, 257):
    lo = bytearray([0x80] * n)  # -128
    hi = bytearray([0x7F] * n)  # 127
    equal("-128*127 n=%d" % n, kernels_viper.dot_i8(lo, hi, n), -128 * 127 * n)
    equal("-128*-128 n=%d" % n, kernels_viper.dot_i8(lo, lo, n), 16384 * n)

# Random vectors (a portable LCG: the same stream on every target).
seed = 12345


def rnd():
    global seed
    seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
    return seed >> 16


bad = None
for trial in range(200):
    n = trial % 67
    a = bytearray(rnd() & 0xFF for _ in range(n))
    b = bytearray(rnd() & 0xFF for _ in range(n))
    want = sum(((x ^ 0x80) - 0x80) * ((y ^ 0x80) - 0x80) for x, y in zip(a, b))
    got_v = kernels_viper.dot_i8(a, b, n)
    got_p = kernels_py.dot_i8(a, b, n)
    if got_v != want or got_p != want:
        bad = "trial %d n=%d: viper %d twin %d want %d" % (trial, n, got_v, got_p, want)
        break
check("200 random vectors: viper == twin == exact", bad is None, bad)

done()
