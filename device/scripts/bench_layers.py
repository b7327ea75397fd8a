# Benchmark body (the host prepends clock.py): one model's predict() layer by layer, on a
# kernel set (load(..., kernels=)). Files: model.mlm, cfg.txt ("kernels n_input").
# Results "layers": per layer [op, cost] (a padded layer includes its pad), "total": one
# whole predict_int8() (Unix: averaged over 200 ms), "fc0"/"fc256": an FC of 64 outputs
# with 0 and 256 inputs (per output: requantization and loop; per MAC: the difference),
# "conv32"/"conv64": a 1x1 conv of 16 output channels on 8x4 pixels with 32 and 64 input
# channels (one block of the pair form on Thumb and on 32-bit viper); costs in UNIT (QEMU:
# instructions).
import gc
import json
import microlearn
import microlearn.engine  # noqa: F401

with open("cfg.txt", "rb") as f:
    cfg = f.read().decode().split()
m = microlearn.load("model.mlm", kernels=cfg[0])
x = bytearray(int(cfg[1]))
for i in range(len(x)):
    x[i] = (i * 37 + 11) & 0xFF
m.predict_int8(x)  # warm-up; it also sets the input the layers below run on
gc.collect()
total, n = repeat(m.predict_int8, (x,), 200000)
total //= n
layers = []
for i in range(len(m._steps)):
    t0 = clock()
    m._run(i + 1, i)
    layers.append([m._steps[i][0], elapsed(t0)])

from array import array  # noqa: E402
k = m._k
thumb = getattr(k, "THUMB", False)
m = None  # the FC below needs room: 16 KB of weights
gc.collect()
fcs = []
for n_in in (0, 256):
    xi, w = bytearray(n_in), bytearray(64 * n_in)
    for i in range(len(w)):
        w[i] = (i * 29 + 3) & 0xFF
    bias, mult, shift = array("i", [1000] * 64), array("i", [1518500250] * 64), array("i", [-9] * 64)
    o = bytearray(64)
    p = array("i", [n_in, 64, 0, -128, 127])
    k.fc(xi, w, bias, mult, shift, o, p)
    t0 = clock()
    k.fc(xi, w, bias, mult, shift, o, p)
    fcs.append(elapsed(t0))
xi = w = None
convs = []
for c in (32, 64):
    gc.collect()
    xi, w = bytearray(32 * c), bytearray(16 * c)
    for i in range(len(w)):
        w[i] = (i * 29 + 3) & 0x7F
    for i in range(len(xi)):
        xi[i] = (i * 37 + 11) & 0xFF
    o = bytearray(32 * 16)
    p = array("i", [8, 4, c, 8, 4, 16, 1, 1, 1, 1, 0, -128, 127])
    k.conv(xi, w, bias, mult, shift, o, p)
    t0 = clock()
    k.conv(xi, w, bias, mult, shift, o, p)
    convs.append(elapsed(t0))
res = {"unit": UNIT, "total": total, "layers": layers, "thumb": thumb,
       "fc0": fcs[0], "fc256": fcs[1], "conv32": convs[0], "conv64": convs[1]}
print("@@ " + json.dumps({"result": "layers", "value": res}))
