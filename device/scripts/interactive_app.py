# `microlearn demo --interactive` body: the active-learning app on a Unix port in real time,
# its button driven by keys the host forwards on stdin: c (or space, enter) = a click,
# n = a long press (next class), d = a double click (skip, or undo the last answer),
# q = quit. Files: m.mlm, x.bin (the stream's int8 inputs), cfg.txt ("strategy every
# period_ms"). Each key becomes the press it stands for, fed to the app as button levels.
import select
import sys
import time

import microlearn
import microlearn.learner  # noqa: F401
from microlearn.learner import Learner
from microlearn.app import App, GUARD
from microlearn.sources import Samples

m = microlearn.load("m.mlm")
with open("cfg.txt", "rb") as f:
    cfg = f.read().decode().split()
strategy, every, period = cfg[0], int(cfg[1]), int(cfg[2])
src = Samples(open("x.bin", "rb"), m.input_size, period_ms=period)
app = App(Learner(m, "learned.bin", guard=GUARD), src, strategy, every)
keys = select.poll()
keys.register(sys.stdin, select.POLLIN)
PRESSES = {"c": ((0, 80),), " ": ((0, 80),), "\n": ((0, 80),), "n": ((0, 900),),
           "d": ((0, 60), (140, 200))}
presses = []  # [start, end) in ticks_ms
print("keys: c/space/enter = click (yes), n = long press (next class), d = double (skip or "
      "undo), q = quit")
while True:
    t = time.ticks_ms()
    if keys.poll(0):
        k = sys.stdin.read(1)
        if k in ("q", ""):
            break
        for a, b in PRESSES.get(k, ()):
            presses.append((time.ticks_add(t, a), time.ticks_add(t, b)))
    down = False
    for a, b in presses:
        if time.ticks_diff(t, a) >= 0 and time.ticks_diff(b, t) > 0:
            down = True
    presses = [p for p in presses if time.ticks_diff(p[1], t) > 0]
    app.step(t, down)
    if src.done and not app.questions.state and not app.questions.pending:
        break  # every sample played, nothing open or waiting to be learned
    time.sleep_ms(5)
print(app)
print("learned %d answers; the state is in learned.bin" % app.learned)
