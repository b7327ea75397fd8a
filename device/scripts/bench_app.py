# Benchmark body (the host prepends clock.py): what the active-learning app costs on a board.
# Files: m.mlm, x.bin (int8 inputs, input_size bytes each). Results: the heap of the whole app
# (its modules, the model, the Learner and the App, gc.mem_alloc from before the imports) and
# the free heap left; time (us on Unix ports, instructions on QEMU boards) of one loop pass
# with nothing to do, one with a sample the board does not ask about, one that opens a
# question, and one that learns an answer.
import gc

# In the order a board runs the app (app.run): the package, the Learner's and the app's code,
# then load() (the model file and its arena, then the engine and kernel code), then the
# Learner. No block is held back for them on QEMU boards: freed before load(), such a block
# took load()'s code imports and left only small pieces for the Learner.
gc.collect()
a0 = gc.mem_alloc()
import microlearn  # noqa: E402
import microlearn.learner  # noqa: E402,F401
from microlearn.learner import Learner  # noqa: E402
from microlearn.app import App  # noqa: E402
from microlearn.ask import ASKED, COMMIT  # noqa: E402
from microlearn.sources import Samples  # noqa: E402

gc.collect()
m = microlearn.load("m.mlm")
N = 8 if UNIT != "us" else 200
src = Samples(open("x.bin", "rb"), m.input_size, period_ms=1000)
app = App(Learner(m, None), src, "margin", 1000, out=lambda s: None)
gc.collect()
res = {"unit": UNIT, "app_heap": gc.mem_alloc() - a0, "free": gc.mem_free()}
app.step(0, False)  # the first sample: asked (the budget's threshold starts at 0)
app.budget.acc = 1 << 28  # a threshold no score reaches: later samples pass without a question
t = 0
a = 0
while a != COMMIT and t < 10000:  # click at 100-180 ms: answered, learned 3 s later
    t += 5
    t0 = clock()
    a = app.step(t, 100 <= t < 180)
    res["learn_pass"] = elapsed(t0)
res["learned"] = a == COMMIT
t0 = clock()
for i in range(N):
    app.step(t + 1 + i, False)  # no sample due (the last was read less than 1 s ago)
res["idle_pass"] = elapsed(t0) // N
total = 0
for i in range(N):
    t0 = clock()
    app.step(20000 + 1000 * i, False)
    total += elapsed(t0)
res["sample_pass"] = total // N
app.budget.acc = 0
t0 = clock()
a = app.step(20000 + 1000 * N, False)
res["ask_pass"] = elapsed(t0)
res["asked"] = a == ASKED
for k in res:
    v = res[k]
    print("@@ {\"result\": \"%s\", \"value\": %s}" % (
        k, ('"%s"' % v) if isinstance(v, str) else ("true" if v is True else
                                                    ("false" if v is False else v))))
