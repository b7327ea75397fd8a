# The Learner's API on the board: before learning it answers exactly as the base model;
# learn()/predict()/scores() allocate nothing after the first call (collector off); bad
# input gives a named ValueError/TypeError; save() + Learner(model, path) restores the
# state exactly; forget/rename/repr.
import gc
import os
from array import array
import microlearn
import microlearn.learner  # noqa: F401 (microlearn.Learner is lazy: this stages it on QEMU)
import engine_fixture as fx
from devtest import check, equal, raises, result, done, target

result("target", target())
gc.collect()
result("free heap at start", gc.mem_free())
m = microlearn.load(fx.CNN_MODEL)
gc.collect()
result("free heap with the model", gc.mem_free())
microlearn.Learner(m, None, 16)  # the Learner's code and first-use tables: not counted
gc.collect()
h0 = gc.mem_alloc()
l = microlearn.Learner(m)  # the defaults: 4 more classes than the model, slots within 15 KB
gc.collect()
heap = gc.mem_alloc() - h0
nb = len(fx.CNN_CLASSES)
equal("default max_classes: the model's classes + 4", l.max_classes, nb + 4)
check("default slots: ram_bytes() within 15 KB (1..20 slots)",
      1 <= l.slots <= 20 and (l.ram_bytes() <= 15360 or l.slots == 1)
      and (l.slots == 20 or l.ram_bytes() + l.max_classes * l.D > 15360),
      "%d slots, %d bytes" % (l.slots, l.ram_bytes()))
result("default Learner heap (gc)", heap)
check("default Learner's heap within 16 KB", heap <= 16384 or l.slots == 1, "%d bytes" % heap)
result("default Learner", repr(l))
l = None
gc.collect()
l = microlearn.Learner(m, None, 16)
result("repr", repr(l))
xi = bytearray(fx.CNN_X)
xf = array("f", fx.CNN_XF)

# --- before learning: the base model, exactly ---
for tag, x in (("int8", xi), ("float", xf)):
    want = bytes(m.predict_int8(x))
    logits = bytes(m._tv[len(m.layers) - 1])  # the last FC's output, still in the arena
    equal("scores == predict_int8 before learning (%s input)" % tag, bytes(l.scores(x)), want)
    best = 0
    for c in range(len(logits)):
        if logits[c] ^ 0x80 > logits[best] ^ 0x80:
            best = c
    lab, conf = l.predict(x)
    equal("label == base model's (%s input)" % tag, lab, fx.CNN_CLASSES[best])
    equal("confidence == p256 in percent (%s input)" % tag, conf,
          (((want[best] ^ 0x80)) * 100 + 128) // 256)


# --- allocation after warm-up, collector off ---
def alloc(fn, *a):
    fn(*a)
    fn(*a)
    gc.collect()
    gc.disable()
    b0 = gc.mem_alloc()
    fn(*a)
    fn(*a)
    b1 = gc.mem_alloc()
    gc.enable()
    return (b1 - b0) // 2


l.learn(xi, "new")  # imprinting a class may allocate; learning it again must not
for name, fn, a in (("learn", l.learn, (xi, "new")), ("learn base class", l.learn, (xi, "class3")),
                    ("predict", l.predict, (xi,)), ("scores", l.scores, (xi,))):
    got = alloc(fn, *a)
    result("%s int8 bytes per call" % name, got)
    equal("%s (int8 input) allocates nothing after the first call" % name, got, 0)
    gf = alloc(fn, *((xf,) + a[1:]))
    base = alloc(m.embed_int8, xf)  # what the engine's float input path itself allocates
    result("%s float bytes per call (engine's own float input: %d)" % (name, base), gf)
    equal("%s (float input) allocates no more than the engine's float input" % name, gf, base)

# --- bad input ---
raises("forget an unknown label", ValueError, l.forget, "nope")
raises("label not a str", TypeError, l.learn, xi, 3)
raises("wrong-length input", ValueError, l.learn, xi[:-1], "new")
raises("wrong-type input", ValueError, l.learn, 12, "new")
raises("rename to an existing name", ValueError, l.rename, "new", "class0")
raises("rename to a non-str", TypeError, l.rename, "new", 5)
raises("max_classes below the model's classes", ValueError, microlearn.Learner, m, None, 4)
raises("eta out of range", ValueError, microlearn.Learner, m, None, 16, 20, 3, 1 << 10)
raises("guard out of range", ValueError, microlearn.Learner, m, None, 16, 20, 3, 32, 256)
raises("guard not an int", TypeError, microlearn.Learner, m, None, 16, 20, 3, 32, 0.5)
raises("a model without SOFTMAX", ValueError, microlearn.Learner, microlearn.load(fx.MLP_MODEL))
raises("save without a path", ValueError, l.save)
ok = True
try:  # 16 classes: class0..14 + "new"
    l.learn(xi, "one too many")
    ok = False
except ValueError as e:
    check("more classes than max_classes", "max_classes" in str(e), str(e))
check("more classes than max_classes raises", ok)

# --- forget / rename ---
l.forget("class14")
equal("forget removes the class", len(l.names), 15)
l.rename("new", "curl")
equal("rename", l.names[-1], "curl")
check("repr lists classes and steps", "'curl'" in repr(l) and "steps" in repr(l), repr(l))

# --- save and restore ---
for p in ("learned.bin", "learned.bin.tmp", "learned.bin.bad"):
    try:
        os.remove(p)
    except OSError:
        pass
a = microlearn.Learner(m, "learned.bin", 20, 4)  # small: the QEMU RAM filesystem is heap
equal("no state file: the base model", bytes(a.scores(xi)), bytes(m.predict_int8(xi)))
for k in range(30):
    xi[k % len(xi)] ^= 0x55
    a.learn(xi, ("curl", "class2", "wave")[k % 3])
a.forget("class5")
gc.collect()  # the QEMU boards' RAM filesystem keeps written files in the heap
a.save()
b = microlearn.Learner(m, "learned.bin", 20, 4)
for name in ("wm", "bm", "w8", "bias", "mult", "shift", "fill", "seen", "buffer", "names"):
    u, v = getattr(b, name), getattr(a, name)
    check("restored %s" % name, u == v)
equal("restored counters", (b.steps, b.updates, b._rr, b._rh, b._rl),
      (a.steps, a.updates, a._rr, a._rh, a._rl))
a.learn(xi, "wave")
b.learn(xi, "wave")
check("restored learner learns on identically", b.wm == a.wm and b.bias == a.bias)
c = microlearn.Learner(m, "learned.bin", 18, 4)  # another max_classes: refused, set aside
equal("a state of another shape: the base model runs", bytes(c.scores(xi)),
      bytes(m.predict_int8(xi)))
done()
