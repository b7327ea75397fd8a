# Streamed weights (load(..., stream=True)), host-staged by tests/host/test_streamed_weights.py.
# Files: model.mlm, x.bin (one int8 input), ref.bin (the host reference's CRC32 of every
# layer's output, little-endian u32 each), cfg.json {"wbufs": [...], "errors": bool}, and
# with errors e.mlm (a small model with streamed layers, copied and spoiled below). For each weight buffer size: load streamed, run layer by layer and compare
# each layer's output CRC with the reference (the first layer that differs is named); then
# the whole predict_int8(). With errors: a file truncated or changed after load, a read
# error mid-inference (a fake file object) and buffers too small must raise, never score.
import gc
import json
from binascii import crc32
from devtest import check, done, equal, raises, result
import microlearn

with open("cfg.json") as f:
    cfg = json.load(f)
x = None  # the input stays in x.bin: 96x96 bytes would take heap the model needs
with open("ref.bin", "rb") as f:
    raw = f.read()
ref = [int.from_bytes(raw[4 * i:4 * i + 4], "little") for i in range(len(raw) // 4)]
raw = None


def set_input(m):
    """x.bin straight into the model's input tensor (as a camera driver would write it)."""
    with open("x.bin", "rb") as f:
        f.readinto(m._tv[0])


def layer_crcs(m):
    """CRC32 of each layer's output, running the layers one at a time."""
    set_input(m)
    got = [0] * len(m._steps)
    for i in range(len(m._steps)):
        m._run(i + 1, i)
        got[i] = crc32(m._tv[i + 1]) & 0xFFFFFFFF
    return got


for w in cfg["wbufs"]:
    gc.collect()
    m = microlearn.load("model.mlm", stream=True, wbuf=w)
    gc.collect()
    result("heap free, wbuf %d" % w, gc.mem_free())
    equal("every layer == host reference, wbuf %d" % w, layer_crcs(m), ref)
    set_input(m)
    m._run(len(m._steps))  # predict_int8() on the input already in place
    equal("a whole run == its last layer, wbuf %d" % w, crc32(m._tv[-1]) & 0xFFFFFFFF, ref[-1])
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    m._run(len(m._steps))
    a1 = gc.mem_alloc()
    gc.enable()
    result("bytes a run allocates, wbuf %d" % w, a1 - a0)
    m.close()
    m = None

gc.collect()

if cfg["errors"]:
    gc.collect()
    buf = bytearray(1024)

    def copy(path, n=None, flip=-1):
        """e.mlm into path in pieces: its first n bytes, with byte `flip` changed."""
        with open("e.mlm", "rb") as src, open(path, "wb") as dst:
            pos = 0
            while True:
                k = src.readinto(buf)
                if not k:
                    break
                if n is not None and pos + k > n:
                    k = n - pos
                if pos <= flip < pos + k:
                    buf[flip - pos] ^= 0x55
                dst.write(memoryview(buf)[:k])
                pos += k
                if n is not None and pos >= n:
                    break

    def predict(m):
        m.predict_int8(bytes(m.input_size))

    def reopen(m, path):
        """Some filesystems keep serving an open file's old bytes after it is rewritten (the
        QEMU boards' RAM disk does; then the old weights are still consistent): read what
        the file now holds, as unix does through the same handle."""
        m._src.f.close()
        m._src.f = open(path, "rb")

    raises("stream=True with bytes: TypeError", TypeError, microlearn.load, b"MLRN", None, True)
    raises("wbuf=256 (< one output channel): ValueError", ValueError, microlearn.load, "e.mlm",
           None, True, 256)
    raises("wbuf not an int: ValueError", ValueError, microlearn.load, "e.mlm", None, True, "big")
    # changed after load, same size: one weight byte of the last streamed layer
    copy("c.mlm")
    m = microlearn.load("c.mlm", stream=True, wbuf=1024)
    at = m._src.layers[-1].b_off
    copy("c.mlm", flip=at)
    reopen(m, "c.mlm")
    raises("file changed after load: OSError", OSError, predict, m)
    m.close()
    m = None
    gc.collect()
    raises("a file changed before load: ValueError (its CRC)", ValueError, microlearn.load, "c.mlm",
           None, True)
    # truncated after load
    copy("t.mlm")
    gc.collect()
    m = microlearn.load("t.mlm", stream=True, wbuf=1024)
    copy("t.mlm", n=at)
    reopen(m, "t.mlm")
    raises("file truncated after load: OSError", OSError, predict, m)
    m.close()
    m = None
    gc.collect()

    class Failing:  # a file whose reads fail, as a flash read error would
        def seek(self, pos, whence=0):
            return pos

        def readinto(self, b):
            raise OSError(5)

        def close(self):
            pass

    m = microlearn.load("e.mlm", stream=True, wbuf=1024)
    m._src.f.close()
    m._src.f = Failing()
    raises("read error mid-inference: OSError", OSError, predict, m)
    m = None
    gc.collect()
    check("the file is still readable after the errors", microlearn.load("e.mlm", stream=True) is not None)
done()
