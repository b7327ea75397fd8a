# `make demo` body (the host prepends clock.py): the active-learning app on a board with a
# simulated user who answers the board's questions through button levels. Files: m.mlm,
# x.bin (the stream's int8 inputs in playing order), y.txt (their true classes),
# cfg.txt ("strategy every err_percent react_ms period_ms seed"). Prints "@q" per learned
# answer as it happens (time ms, stream index, class, answers, presses), the Learner's head
# in "@h" pieces, then the results: the answers learned in order (stream index, class),
# presses, questions, and the steps of the state saved to learned.bin.
import gc
import json
from binascii import hexlify

# A QEMU board's imports leave the heap in small pieces (its RAM filesystem loads modules
# into the heap; a board runs them from flash): keep one large block for the model, the
# Learner and the state file until the imports are done, as bench_learner.py does.
# The engine and kernel code too (load() would import it): the hole is then left for the
# model file, its arena and the Learner, whose buffers need blocks of several KB.
_hole = bytearray(60000 if UNIT == "instructions" else 16)
import microlearn  # noqa: E402
import microlearn.engine  # noqa: E402,F401
import microlearn.kernels  # noqa: E402,F401
import microlearn.learner  # noqa: E402,F401 (stages the module on QEMU)
from microlearn.learner import Learner  # noqa: E402
from microlearn.app import App  # noqa: E402
from microlearn.ask import ASKED, NEXT  # noqa: E402
from microlearn.sources import Samples  # noqa: E402

_hole = None
gc.collect()

m = microlearn.load("m.mlm")
def words(path):  # the QEMU boards' RAM filesystem reads bytes even in text mode
    with open(path, "rb") as f:
        return f.read().decode().split()


ys = [int(v) for v in words("y.txt")]
cfg = words("cfg.txt")
strategy, every, err, react, period, seed, guard = cfg[0], int(cfg[1]), int(cfg[2]), \
    int(cfg[3]), int(cfg[4]), int(cfg[5]), int(cfg[6])

def quiet(line):  # the app's console lines: the host prints its own live line per answer
    pass


# No state file while the app runs: the QEMU boards' RAM filesystem does not reuse the space
# of replaced files, so saving after every answer (as run() does on a board) would fill it.
# The state is saved once at the end and restored, as a board would at its next boot.
lrn = Learner(m, None, guard=guard)
src = Samples(open("x.bin", "rb"), m.input_size, period_ms=period)  # read as played
app = App(lrn, src, strategy, every, out=quiet)
n = len(lrn.names)
rnd = seed
t = 0
press = (-1, -1)  # the simulated user's next press: [start, end)
want = -1  # the class the user means for the open question
asked_at = 0  # stream index of the open question
presses = 0
log = []  # (stream index, class) of each learned answer, in order
pending = None
answers = 0
t0 = clock()
end = period * (len(ys) + 1) + 4000
while t < end:
    a = app.step(t, press[0] <= t < press[1])
    q = app.questions
    if q.answers > answers:  # an answer to the question about window asked_at (this step's
        answers = q.answers  # return value may already be the next question's ASKED)
        pending = (asked_at, q.label)
    while len(log) < app.learned:  # an answer was learned in this step
        log.append(pending)
        print("@q %d %d %d %d %d" % (t, pending[0], pending[1], len(log), presses))
    if a == ASKED:
        asked_at = src.index - 1
        want = ys[asked_at]
        rnd = (rnd * 1103515245 + 12345) & 0x7FFFFFFF
        if (rnd >> 8) % 100 < err:  # a wrong answer: another class
            want = (want + 1 + (rnd >> 16) % (n - 1)) % n
    if a in (ASKED, NEXT):  # the board shows a class: click if it is the one meant, else hold
        if q.order[q.shown] == want:
            press = (t + react, t + react + 100)
        else:
            press = (t + react, t + react + 1000)
        presses += 1
    t += 5
for name in ("w8", "wm", "bias", "bm"):
    mv = memoryview(getattr(lrn, name))
    for i in range(0, len(mv), 64):  # in pieces: a fragmented heap has no room for one
        print("@h", name, hexlify(mv[i:i + 64]).decode())
res = {"learned": [v for p in log for v in p], "presses": presses, "run": elapsed(t0),
       "questions": app.budget.asked, "samples": app.samples, "unit": UNIT, "names": lrn.names}
app = q = src = ys = log = None  # the state file needs blocks for its save
gc.collect()
lrn.path = "learned.bin"
lrn.save()
# restore it into this Learner's own buffers, as Learner(m, path) does at a boot: a second
# Learner would need a 7 KB block the QEMU board's fragmented heap may not have
from microlearn import learn_head  # noqa: E402
lrn.steps = 0
learn_head.restore(lrn)
res["saved_steps"] = lrn.steps
print("@@ " + json.dumps({"result": "demo", "value": res}))
