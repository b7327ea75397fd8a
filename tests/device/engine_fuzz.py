# Fuzz driver (host-staged): fuzz.bin holds records "u32 length, bytes" of
# mutated model files. Each must load cleanly or raise ValueError; a loaded
# one is also run once. One status letter per record: V (ValueError),
# L (loaded and ran), X (anything else: the detail is reported).
import gc
import struct
from devtest import check, result, done
from microlearn import kernels
from microlearn.engine import Model

# the engine's own kernels, always: one it stops exporting is a failure, not a fall back
for name in ("fc", "conv", "dwconv", "pad", "avgpool", "maxpool", "mean", "add", "softmax", "quantizer"):
    check("microlearn.kernels exports %s" % name, hasattr(kernels, name))

status = []
bad = []
with open("fuzz.bin", "rb") as f:
    k = 0
    while True:
        h = f.read(4)
        if len(h) < 4:
            break
        data = f.read(struct.unpack("<I", h)[0])
        try:
            m = Model(data)
            m.predict_int8(bytes(m.input_size))
            status.append("L")
        except ValueError:
            status.append("V")
        except Exception as e:
            status.append("X")
            if len(bad) < 10:
                bad.append("%d: %s: %s" % (k, type(e).__name__, e))
        m = None
        data = None
        gc.collect()
        k += 1
result("status", "".join(status))
check("only clean ValueErrors or correct loads", not bad, "; ".join(bad))
done()
