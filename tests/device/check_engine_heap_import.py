# load() in a nearly full heap before the kernels were ever imported (the
# import runs inside load()): a ValueError that names the heap, whichever of
# file, arena or the kernels' import runs out, never a raw MemoryError. Its
# own script: a failed import cannot be undone (on m0 the RAM filesystem
# hands a module file out once).
import gc
from devtest import check, result, done
import engine_fixture as fx
import microlearn
import microlearn.engine  # the kernels are what load() imports, in the heap left

with open("cnn.mlm", "wb") as f:
    f.write(fx.CNN_MODEL)
ballast = [None] * 400
k = 0
size = 1 << 20
gc.collect()
while k < len(ballast) and size >= 256 and gc.mem_free() > 12000:
    try:  # the biggest blocks first, then smaller: about 12 KB stay free
        ballast[k] = bytearray(min(size, gc.mem_free() - 12000))
        k += 1
    except MemoryError:
        size //= 2
gc.collect()
result("free before load", gc.mem_free())
try:
    microlearn.load("cnn.mlm")
    r = "loaded"
except ValueError as e:
    r = "ValueError: %s" % e
except Exception as e:
    r = "%s: %s" % (type(e).__name__, e)
ballast = None
result("outcome", r)
check("a ValueError naming the heap", r.startswith("ValueError") and "heap" in r, r)
done()
