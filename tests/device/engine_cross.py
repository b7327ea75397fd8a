# Cross-test driver (not a check_* script: the host stages its files).
# cases.txt: one "name n_int8_inputs has_float_input" per line; name.mlm is the
# model, name.bin the int8 inputs back to back, name.f32 one float32 input;
# kernels.txt, if there, names the kernel set (kernels.named).
# Reports every output as hex: "result name -> hex of all outputs".
import gc
from array import array
from devtest import check, result, done
import microlearn
from microlearn import kernels

# the engine's own kernels, always: one it stops exporting is a failure, not a fall back
for name in ("fc", "conv", "dwconv", "pad", "avgpool", "maxpool", "mean", "add", "softmax", "quantizer"):
    check("microlearn.kernels exports %s" % name, hasattr(kernels, name))

with open("cases.txt", "rb") as f:  # the QEMU RAM filesystem has binary files only
    cases = [l.split() for l in f.read().decode().split("\n") if l.strip()]
KSET = "best"  # kernels.txt (optional): the kernel set to load every model with
try:
    with open("kernels.txt", "rb") as f:
        KSET = f.read().decode().strip()
except OSError:
    pass
result("kernels", KSET)
result("thumb", getattr(kernels.named(KSET), "THUMB", False))
ok = 0
for name, nx, nf in cases:
    nx, nf = int(nx), int(nf)
    try:
        m = microlearn.load(name + ".mlm", kernels=KSET)
    except Exception as e:
        result(name, "load failed: %s: %s" % (type(e).__name__, e))
        continue
    outs = []
    with open(name + ".bin", "rb") as f:
        xs = f.read()
    n = m.input_size
    for k in range(nx):
        outs.append(bytes(m.predict_int8(memoryview(xs)[k * n:(k + 1) * n])).hex())
    if nf:
        with open(name + ".f32", "rb") as f:
            xf = array("f", f.read())
        outs.append(bytes(m.predict_int8(xf)).hex())
    result(name, " ".join(outs))
    ok += 1
    del m, xs
    gc.collect()
check("all models loaded and ran", ok == len(cases), "%d of %d" % (ok, len(cases)))
done()
