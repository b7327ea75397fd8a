# Engine API on a real model file: outputs equal the host reference, embed,
# summary, bad input -> ValueError, corrupt file -> ValueError, and predict
# allocates nothing after the first call where every step has a viper kernel
# (a model ending in SOFTMAX included).
import gc
from array import array
from devtest import check, equal, raises, result, done, target
import engine_fixture as fx
import microlearn
from microlearn import kernels

try:
    import refops
except ImportError:
    refops = None
K = kernels if hasattr(kernels, "fc") else refops
real = K is kernels
result("kernels", "microlearn.kernels" if real else "refops (engine kernels not exported yet)")
bits = target()["bits"]


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


write("cnn.mlm", fx.CNN_MODEL)
write("mlp.mlm", fx.MLP_MODEL)

m = microlearn.load("cnn.mlm", K)
equal("cnn int8 output", bytes(m.predict_int8(fx.CNN_X)), fx.CNN_OUT)
equal("cnn float input (normalised + quantized on device)",
      bytes(m.predict_int8(array("f", fx.CNN_XF))), fx.CNN_OUT_XF)
equal("cnn float input as a list", bytes(m.predict_int8(list(array("f", fx.CNN_XF)))), fx.CNN_OUT_XF)
equal("cnn scores (dequantized)", list(m.predict(fx.CNN_X)), list(array("f", fx.CNN_SCORES)))
equal("cnn embed", list(m.embed(fx.CNN_X)), list(array("f", fx.CNN_EMB)))
equal("class names", m.class_names, fx.CNN_CLASSES)
params, macs = m.summary()
equal("summary params", params, fx.CNN_PARAMS)
check("summary MACs > 0", macs > 0)
result("cnn arena bytes", m.arena_size)

n = m.input_size
raises("int8 input too short", ValueError, m.predict, bytearray(n - 1))
raises("int8 input too long", ValueError, m.predict, bytes(n + 1))
raises("float input wrong length", ValueError, m.predict, [0.0] * (n + 1))
raises("string input", ValueError, m.predict, "abc")
raises("None input", ValueError, m.predict, None)
raises("non-number element", ValueError, m.predict, ["x"] * n)
raises("NaN element", ValueError, m.predict, [float("nan")] * n)
raises("embed bad input", ValueError, m.embed, 3)

bad = bytearray(fx.CNN_MODEL)
bad[len(bad) // 2] ^= 0x10
write("bad.mlm", bad)
raises("corrupt file", ValueError, microlearn.load, "bad.mlm", K)
raises("truncated file", ValueError, microlearn.Model if hasattr(microlearn, "Model") else
       __import__("microlearn.engine").engine.Model, fx.CNN_MODEL[:40], K)
raises("missing file", ValueError, microlearn.load, "nope.mlm", K)
del m
gc.collect()


def alloc(fn, x):
    fn(x)
    gc.collect()
    a = gc.mem_alloc()
    fn(x)
    fn(x)
    return gc.mem_alloc() - a


mlp = microlearn.load("mlp.mlm", K)
equal("mlp int8 output", bytes(mlp.predict_int8(fx.MLP_X)), fx.MLP_OUT)
xb = bytearray(fx.MLP_X)
# Zero allocation needs native kernels (plain-Python ones use longints on 32-bit)
# and the viper lookup for the dequantized scores.
for name, fn in (("predict_int8", mlp.predict_int8), ("predict", mlp.predict), ("embed", mlp.embed)):
    got = alloc(fn, xb)
    result("mlp %s bytes allocated per 2 calls" % name, got)
    if real or bits == 64:
        equal("mlp %s allocates nothing after the first call" % name, got, 0)
# The cnn ends in SOFTMAX: with the viper softmax it allocates nothing either
# (the plain twin needs longints on 32-bit boards: ~3.4 KB per call).
cnn = microlearn.load("cnn.mlm", K)
check("cnn uses kernels.softmax", not real or cnn._steps[-1][1] is kernels.softmax)
for name, fn in (("predict_int8", cnn.predict_int8), ("predict", cnn.predict), ("embed", cnn.embed)):
    got = alloc(fn, bytearray(fx.CNN_X))
    result("cnn %s bytes allocated per 2 calls" % name, got)
    if real:
        equal("cnn %s (softmax model) allocates nothing after the first call" % name, got, 0)
done()
