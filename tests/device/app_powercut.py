# The app with a state file, killed at random instants by tests/host/test_app_powercut.py and
# started again: each start restores the state (printing "loaded <steps> <check>"), then a
# scripted user answers every question with the sample's true class (walking with long
# presses), so every answer is learned and saved ("learned ... (k answers)" once saved).
# check: every stored example is the embedding of a sample of that class ("ok"), else what is
# wrong. Files: m.mlm, x.bin (int8 inputs), y.txt (true classes).
import microlearn
import microlearn.learner  # noqa: F401
from microlearn.learner import Learner
from microlearn.app import App
from microlearn.ask import ASKED, NEXT
from microlearn.sources import Samples

m = microlearn.load("m.mlm")
with open("x.bin", "rb") as f:
    xs = f.read()
with open("y.txt", "rb") as f:
    ys = [int(v) for v in f.read().decode().split()]
n_in = m.input_size
lrn = Learner(m, "state.bin")
d = lrn.D
embs = [bytes(m.embed_int8(xs[i * n_in:(i + 1) * n_in])) for i in range(len(ys))]
bad = []
for c in range(len(lrn.names)):
    for s in range(lrn.fill[c]):
        e = bytes(lrn.buffer[(c * lrn.slots + s) * d:(c * lrn.slots + s + 1) * d])
        if not any(embs[i] == e and ys[i] == c for i in range(len(ys))):
            bad.append("class %d slot %d" % (c, s))
print("loaded %d %s" % (lrn.steps, "ok" if not bad else "wrong: " + ", ".join(bad)))
print("ready")
app = App(lrn, Samples(xs, n_in, period_ms=3000, loop=True), "margin", every=1, out=print)
t = 0
press = (-1, -1)
want = -1
while True:
    a = app.step(t, press[0] <= t < press[1])
    if a == ASKED:
        want = ys[(app.source.index - 1) % len(ys)]
    if a in (ASKED, NEXT):
        q = app.questions
        press = (t + 50, t + (100 if q.order[q.shown] == want else 900))
    t += 5
