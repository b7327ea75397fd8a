# Engine API on a real model file: outputs equal the host reference, embed,
# summary/stats/repr, out= buffers, bad input -> ValueError/TypeError, corrupt
# file -> ValueError, and what a call allocates after warm-up (collector off):
# nothing for int8 input, a small constant for float input (list, array('f')).
# Always the engine's own kernels (microlearn.kernels): a kernel it stops
# exporting is a failure here, never a silent fall back to reference code.
import gc
from array import array
from devtest import check, equal, raises, result, done
import engine_fixture as fx
import microlearn
from microlearn import kernels
from microlearn.engine import Model

# per float-input call: measured 0 (list) and 80 (array('f'); 160 on 64-bit words), whatever
# the input size; the goal was <= 2.5 KB for a 64-input model on 32-bit boards
FLOAT_BYTES = 256
for name in ("fc", "conv", "dwconv", "pad", "avgpool", "maxpool", "mean", "add", "softmax", "quantizer"):
    check("microlearn.kernels exports %s" % name, hasattr(kernels, name))
check("kernels are native (viper) on this target", kernels.NATIVE)


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


write("cnn.mlm", fx.CNN_MODEL)
write("mlp.mlm", fx.MLP_MODEL)

m = microlearn.load("cnn.mlm")
equal("cnn int8 output", bytes(m.predict_int8(fx.CNN_X)), fx.CNN_OUT)
equal("cnn float input (normalised + quantized on device)",
      bytes(m.predict_int8(array("f", fx.CNN_XF))), fx.CNN_OUT_XF)
equal("cnn float input as a list", bytes(m.predict_int8(list(array("f", fx.CNN_XF)))), fx.CNN_OUT_XF)
equal("cnn float input as array('d')", bytes(m.predict_int8(array("d", array("f", fx.CNN_XF)))),
      fx.CNN_OUT_XF)
equal("cnn scores (dequantized)", list(m.predict(fx.CNN_X)), list(array("f", fx.CNN_SCORES)))
equal("cnn embed", list(m.embed(fx.CNN_X)), list(array("f", fx.CNN_EMB)))
equal("class names", m.class_names, fx.CNN_CLASSES)
equal("summary() prints and returns nothing", m.summary(), None)
st = m.stats()
equal("stats params", st["params"], fx.CNN_PARAMS)
check("stats MACs > 0", st["macs"] > 0)
equal("stats arena", st["arena"], m.arena_size)
equal("stats file", st["file"], len(fx.CNN_MODEL))
r = repr(m)
result("repr", r)
for part in ("cnn.mlm", str(m.input_shape), "%d classes" % len(fx.CNN_CLASSES), "%d bytes" % m.arena_size):
    check("repr names %s" % part, part in r, r)
check("repr of a model from bytes", "from bytes" in repr(Model(fx.CNN_MODEL)))
result("cnn arena bytes", m.arena_size)

# results are views reused by the next call; out= keeps one
xa, xb = fx.CNN_X, bytes(b ^ 0x55 for b in fx.CNN_X)
r1 = m.predict(xa)
r2 = m.predict(xb)
check("predict returns the same reused buffer each call", r1 is r2)
o1, o2 = array("f", range(len(r1))), array("f", range(len(r1)))
check("predict(out=) returns out", m.predict(xa, out=o1) is o1)
m.predict(xb, out=o2)
equal("out= keeps the first result after a second call", list(o1), list(array("f", fx.CNN_SCORES)))
check("out= results differ for different inputs", list(o1) != list(o2))
b1 = bytearray(len(fx.CNN_OUT))
m.predict_int8(xa, out=b1)
m.predict_int8(xb)
equal("predict_int8(out=) keeps its result", bytes(b1), fx.CNN_OUT)
e1 = array("f", range(len(fx.CNN_EMB) // 4))
m.embed(xa, out=e1)
m.embed(xb)
equal("embed(out=) keeps its result", list(e1), list(array("f", fx.CNN_EMB)))
raises("out of the wrong type", TypeError, m.predict, xa, bytearray(4 * len(r1)))
raises("out array('i')", TypeError, m.predict, xa, array("i", range(len(r1))))
raises("out array('d')", TypeError, m.predict, xa, array("d", range(len(r1))))
raises("out too short", ValueError, m.predict, xa, array("f", range(len(r1) - 1)))
raises("predict_int8 out of the wrong type", TypeError, m.predict_int8, xa, array("f", range(len(b1))))
raises("predict_int8 out too long", ValueError, m.predict_int8, xa, bytearray(len(b1) + 1))
raises("embed out too long", ValueError, m.embed, xa, array("f", range(len(e1) + 1)))

n = m.input_size
raises("int8 input too short", ValueError, m.predict, bytearray(n - 1))
raises("int8 input too long", ValueError, m.predict, bytes(n + 1))
raises("float input wrong length", ValueError, m.predict, [0.0] * (n + 1))
raises("string input", ValueError, m.predict, "abc")
raises("None input", ValueError, m.predict, None)
raises("non-number element", ValueError, m.predict, ["x"] * n)
raises("NaN element", ValueError, m.predict, [float("nan")] * n)
for v in ("inf", "-inf", "nan"):
    for kind in ("list", "array"):
        x = [0.25] * n
        x[n - 2] = float(v)
        if kind == "array":
            x = array("f", x)
        try:
            m.predict(x)
            check("%s in %s input refused" % (v, kind), False, "accepted")
        except ValueError as e:
            check("%s in %s input refused naming index %d" % (v, kind, n - 2), ("input %d " % (n - 2)) in str(e), str(e))
raises("embed bad input", ValueError, m.embed, 3)
raises("load(123)", TypeError, microlearn.load, 123)
raises("load(None)", TypeError, microlearn.load, None)

bad = bytearray(fx.CNN_MODEL)
bad[len(bad) // 2] ^= 0x10
write("bad.mlm", bad)
raises("corrupt file", ValueError, microlearn.load, "bad.mlm")
raises("truncated file", ValueError, Model, fx.CNN_MODEL[:40])
raises("missing file", ValueError, microlearn.load, "nope.mlm")
del m
gc.collect()


def alloc(fn, x):
    """Bytes one call allocates after warm-up, collector off: nothing is freed in between."""
    fn(x)
    fn(x)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    fn(x)
    fn(x)
    b = gc.mem_alloc()
    gc.enable()
    return (b - a) // 2


def allocs(tag, model, xi, xf):
    for name in ("predict_int8", "predict", "embed"):
        fn = getattr(model, name)
        got = alloc(fn, bytearray(xi))
        result("%s %s int8 bytes per call" % (tag, name), got)
        equal("%s %s (int8 input) allocates nothing after warm-up" % (tag, name), got, 0)
        for kind, x in (("list", list(array("f", xf))), ("array('f')", array("f", xf))):
            got = alloc(fn, x)
            result("%s %s float %s bytes per call" % (tag, name, kind), got)
            check("%s %s float %s input allocates <= %d bytes per call" % (tag, name, kind, FLOAT_BYTES),
                  got <= FLOAT_BYTES, "%d bytes" % got)


mlp = microlearn.load("mlp.mlm")
equal("mlp int8 output", bytes(mlp.predict_int8(fx.MLP_X)), fx.MLP_OUT)
equal("mlp float output", bytes(mlp.predict_int8(array("f", fx.MLP_XF))), fx.MLP_OUT_XF)
allocs("mlp", mlp, fx.MLP_X, fx.MLP_XF)
# the cnn ends in SOFTMAX: with the viper softmax it allocates nothing either
cnn = microlearn.load("cnn.mlm")
check("cnn uses kernels.softmax", cnn._steps[-1][1] is kernels.softmax)
allocs("cnn", cnn, fx.CNN_X, fx.CNN_XF)
o = array("f", range(len(cnn.scores)))
got = alloc(lambda x: cnn.predict(x, out=o), bytearray(fx.CNN_X))
equal("predict(out=) allocates nothing after warm-up", got, 0)
done()
