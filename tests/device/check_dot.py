# The first kernel through the whole chain: viper int8 dot product vs its
# plain-Python twin, sign extension, and the accumulator's word size.
import sys
from array import array

from devtest import check, equal, result, done, target, Rand
from microlearn import kernels, kernels_py

info = target()
result("target", info)
check("viper kernels selected", kernels.NATIVE, "kernels.NATIVE is False: native emitter missing?")
from microlearn import kernels_viper  # noqa: E402 (after the selection check above)

# The accumulator's word: int32 on ESP32/RP2040 (and unix32, m0), 64 bits on x64.
# INT32_MAX + 1*1 in fc's accumulator, read back through requantization by 2**-31:
# a wrapped accumulator (-2**31) gives -1, an unwrapped one (+2**31) gives +1.
x1 = bytearray([1])
bias = array("i", [0x7FFFFFFF])
mult, shift = array("i", [1 << 30]), array("i", [-30])
p = array("i", [1, 1, 0, -128, 127])
out = bytearray(1)
kernels_viper.fc(x1, x1, bias, mult, shift, out, p)
got_v = (out[0] ^ 0x80) - 0x80
kernels_py.fc(x1, x1, bias, mult, shift, out, p)
equal("twin wraps like an int32 accumulator", (out[0] ^ 0x80) - 0x80, -1)
if info["bits"] == 32:
    equal("viper accumulator wraps at 32 bits", got_v, -1)
else:
    equal("viper accumulator keeps 64 bits on x64", got_v, 1)
    # and the dot kernel over 2**17 products of 16384 = 2**31 (x64 has the heap for it)
    n = 1 << 17
    buf = bytearray(n)
    mv = memoryview(buf)
    buf[0] = 0x80
    k = 1
    while k < n:  # doubling copies: no second n-byte buffer
        mv[k:2 * k] = mv[:k]
        k *= 2
    equal("viper dot keeps 64-bit words on x64", kernels_viper.dot_i8(buf, buf, n), 1 << 31)
    equal("twin dot wraps like int32", kernels_py.dot_i8(buf, buf, n), -(1 << 31))
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
_rand = Rand(12345)
rnd = _rand.rnd


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
