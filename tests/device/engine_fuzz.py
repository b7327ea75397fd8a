# Fuzz driver (host-staged): fuzz.bin holds records "u32 length, bytes" of
# mutated model files. Each must load cleanly or raise ValueError; a loaded
# one is also run once. One status letter per record: V (ValueError),
# L (loaded and ran), X (anything else: the detail is reported).
import gc
import struct
from devtest import check, result, done
from microlearn import kernels
from microlearn.engine import Model

try:
    import refops
except ImportError:
    refops = None
K = kernels if hasattr(kernels, "fc") else refops

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
            m = Model(data, K)
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
