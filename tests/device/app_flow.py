# The app (microlearn.app.App) end to end on a board: fixed samples come in, every one is
# asked about, and a scripted user answers with the button alone, walking (long presses) to
# the sample's true class and clicking; in the second run the user undoes one answer.
# Files: m.mlm, x.bin (int8 inputs), y.txt (their true class indices), undo.txt ("1": undo
# the first answer). Results: the Learner's per-class seen counts, answers, console lines.
import gc
import microlearn
import microlearn.learner  # noqa: F401 (stages the module on QEMU)
from microlearn.learner import Learner
from microlearn.app import App, GUARD
from microlearn.ask import ASKED, NEXT, ANSWERED
from microlearn.led import Led
from microlearn.sources import Samples
from devtest import check, result, done, target

result("target", target())
m = microlearn.load("m.mlm")
with open("x.bin", "rb") as f:
    xs = f.read()
with open("y.txt", "rb") as f:  # the QEMU boards' RAM filesystem reads bytes in text mode too
    ys = [int(v) for v in f.read().decode().split()]
with open("undo.txt", "rb") as f:
    undo = f.read().decode().strip() == "1"
with open("buttons.txt", "rb") as f:  # "1": walk with an extra "next" button, not long presses
    extra = f.read().decode().strip() == "1"


class Pin:
    def __init__(self):
        self.writes = 0

    def value(self, v):
        self.writes += 1


lines = []
pin = Pin()
src = Samples(xs, m.input_size, period_ms=8000)
lrn = Learner(m, "state.bin")
app = App(lrn, src, "margin", every=1, led=Led(pin), out=lines.append,
          extra=("next", "skip") if extra else ())
t = 0
press = (-1, -1)  # the scripted user's next press: [start, end)
asked = []  # the true class of each sample asked about
undone = False
end = 8000 * len(ys) + 6000
nxt = (-1, -1)  # a press of the extra "next" button
levels = [False, False]
while t < end:
    levels[0] = nxt[0] <= t < nxt[1]
    a = app.step(t, press[0] <= t < press[1], levels)
    if a == ASKED:
        asked.append(ys[src.index - 1])
    if a in (ASKED, NEXT):  # the board shows a class: click if right, else hold for the next
        q = app.questions
        if q.order[q.shown] == asked[-1]:
            press = (t + 200, t + 280)
        elif extra:  # one click on "next" instead of a long press
            nxt = (t + 200, t + 280)
        else:
            press = (t + 200, t + 1200)
    if a == ANSWERED and undo and not undone:  # a double click: undo this answer
        press = (t + 300, t + 360)
        undone = True
        second = (t + 480, t + 540)
    if undone and press[1] <= t and second is not None and t < second[1]:
        press = second
        second = None
    t += 5
result("asked", asked)
result("seen", [lrn.seen[c] for c in range(len(lrn.names))])
result("learned", app.learned)
result("undos", app.questions.undos)
result("guard", GUARD)  # what run() gives its Learner; the host twin's too
result("next_presses", sum(1 for l in lines if l.startswith("Is it")) - len(asked))
check("the LED was driven", pin.writes > 2 * len(asked), pin.writes)
check("the console showed the questions", sum(1 for l in lines if l.startswith("Is it")) >=
      len(asked), lines[:3])
steps, learned = lrn.steps, app.learned
app = lrn = src = q = lines = None  # room for the Learner that restores the state
gc.collect()
lrn2 = Learner(m, "state.bin")
check("the saved state restores", lrn2.steps == steps == learned, (lrn2.steps, steps, learned))
done()
