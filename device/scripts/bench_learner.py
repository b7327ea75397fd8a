# Benchmark body (the host prepends clock.py): the Learner's cost on one model.
# Files: m.mlm, x.bin (int8 inputs, input_size bytes each). Results: extra heap
# of a Learner (gc.mem_alloc before/after construction), time (us on Unix ports,
# instructions on QEMU boards) of one predict(), one learn() of a known class
# (its SGD step + replay), one learn() of a new class (imprint), and bytes
# allocated per learn()/predict() after the first call (collector off).
# Optional steps.txt "STEPS EVERY": then STEPS more learn() calls, with gc.mem_free() after a
# collect at the start and every EVERY calls ("flat_free"): a leak shows as a falling list.
import gc

# A QEMU board's imports leave the heap in small pieces (measured: 8 KB the largest free block
# of 140 KB free); a board that runs from flash would not. Keep one large block for the model
# and the Learner until the imports are done.
_hole = bytearray(100000 if UNIT == "instructions" else 16)
import microlearn  # noqa: E402
import microlearn.engine  # noqa: E402

gc.collect()
a0 = gc.mem_alloc()
from microlearn.learner import Learner  # noqa: E402

gc.collect()
code = gc.mem_alloc() - a0
_hole = None
gc.collect()

N = 8 if UNIT != "us" else 400  # calls averaged (QEMU: instruction counts are exact)
m = microlearn.load("m.mlm")
n_in = m.input_size
with open("x.bin", "rb") as f:
    xs = f.read()
x = [xs[i * n_in:(i + 1) * n_in] for i in range(len(xs) // n_in)]
res = {"unit": UNIT, "model_classes": len(m.class_names), "learner_code_heap": code}
gc.collect()
res["free_before_learner"] = gc.mem_free()
a0 = gc.mem_alloc()
try:
    l = Learner(m)
except ValueError as e:  # the defaults do not fit: time a smaller buffer (same cost per call)
    res["default_learner"] = str(e)
    l = None
    gc.collect()
    a0 = gc.mem_alloc()
    l = Learner(m, None, 12, 8)
res["max_classes, slots"] = [l.max_classes, l.slots]
gc.collect()
res["learner_heap"] = gc.mem_alloc() - a0
res["learner_ram_bytes"] = l.ram_bytes()
res["D"] = l.D
names = l.names
t0 = clock()
l.learn(x[0], "new")
res["learn_new_class"] = elapsed(t0)
l.predict(x[0])
t0 = clock()
for i in range(N):
    m.predict_int8(x[i % len(x)])
res["model_predict_int8"] = elapsed(t0) // N
t0 = clock()
for i in range(N):
    l.predict(x[i % len(x)])
res["predict"] = elapsed(t0) // N
t0 = clock()
for i in range(N):
    l.learn(x[i % len(x)], names[i % len(names)])
res["learn"] = elapsed(t0) // N
def alloc(name, x1, c0):
    # a function: a new module-level name would grow the globals dict inside the measurement
    gc.collect()
    gc.disable()
    b0 = gc.mem_alloc()
    if name == "learn":
        l.learn(x1, c0)
        l.learn(x1, c0)
    else:
        l.predict(x1)
        l.predict(x1)
    b1 = gc.mem_alloc()
    gc.enable()
    return (b1 - b0) // 2


for name in ("learn", "predict"):
    res[name + "_alloc"] = alloc(name, x[1], names[0])


def flat(steps, every):
    # the known classes in turn, as a user's stream would; collecting only at the checkpoints
    free = [0] * (steps // every + 1)
    gc.collect()
    free[0] = gc.mem_free()
    for i in range(1, steps + 1):
        l.learn(x[i % len(x)], names[i % len(names)])
        if i % every == 0:
            gc.collect()
            free[i // every] = gc.mem_free()
    return free


try:
    with open("steps.txt") as f:
        steps = [int(v) for v in f.read().split()]
except OSError:  # no file: the timing run only
    steps = None
if steps:
    res["flat_every"] = steps[1]
    res["flat_free"] = flat(steps[0], steps[1])
for k in res:
    v = res[k]
    print("@@ {\"result\": \"%s\", \"value\": %s}" % (k, ('"%s"' % v) if isinstance(v, str) else v))
