# Cross-test driver (host-staged, see tests/host/test_quantize_input.py): float
# input -> int8 through kernels.quantizer() (viper) and its plain twin.
# cases.bin: records "<HHhxx" c, n, zp, then float32 scale, mean[c], std[c],
# x[n] as float32, x[n] as float64. Reports per case and implementation the
# hex of the int8 output, or "bad <index>" when it refused a non-finite value.
import struct
from devtest import check, result, done
from microlearn import kernels
from microlearn.quantize import quantize as twin

check("microlearn.kernels exports quantizer", hasattr(kernels, "quantizer"))
check("kernels.quantizer() is the viper one", kernels.quantizer() is not twin)

with open("cases.bin", "rb") as f:
    data = f.read()
mv = memoryview(data)
pos = k = 0
while pos < len(data):
    c, n, zp = struct.unpack_from("<HHh", data, pos)
    pos += 8
    sc = mv[pos:pos + 4]
    norm = mv[pos + 4:pos + 4 + 8 * c]
    pos += 4 + 8 * c
    x4 = mv[pos:pos + 4 * n]
    pos += 4 * n
    x8 = mv[pos:pos + 8 * n]
    pos += 8 * n
    for tag, fn in (("v", kernels.quantizer()), ("t", twin)):
        for wide, x in ((0, x4), (1, x8)):
            out = bytearray(n)
            r = fn(x, wide, n, norm, c, sc, out, zp)
            result("%d %s%d" % (k, tag, wide), ("bad %d" % r) if r >= 0 else out.hex())
    k += 1
result("cases", k)
done()
