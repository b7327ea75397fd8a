# The active-learning app (README.md, "The button"): each pass of the loop reads the button
# and a sample source, predicts, asks about the samples the board is unsure of, learns the
# answers after their undo window and saves them. App.step(t, pressed) is the whole logic,
# pure; run() is the thin loop that reads the clock, the board's button and LED
# (board.json, as deploy copies it) and sleeps.
#   >>> import microlearn.app
#   >>> microlearn.app.run("watch.mlm", source=microlearn.app.mpu6050(scl=5, sda=4))
from . import query as _q
from .ask import Questions, ASKED, NEXT, ANSWERED, COMMIT, SKIPPED, UNDONE
from .button import Button, CLICK, DOUBLE, LONG

# Extra buttons a board profile may name ("buttons" in board.json): a click on one is the
# main button's gesture for it, so one press does what a long or double press would.
_EXTRA = {"yes": CLICK, "next": LONG, "skip": DOUBLE}
# The Learner's guard in the app: a replayed example whose class the head gives below
# GUARD/256 (12.5%) is passed over, so a wrong answer stops pulling the head once the right
# ones outvote it (docs/active.md, "Wrong answers"; 32 measured best of 3..64).
GUARD = 32
_LED = {ASKED: "asking", ANSWERED: "answered", COMMIT: "learned", SKIPPED: "listening",
        UNDONE: "error"}


class App:
    """learner: a microlearn.Learner (with a state path: answers are saved); source: an
    object with read(t) (sources.py); strategy: query.NAMES; every: about one question per
    `every` samples; led: a led.Led or None; out: where the console lines go."""

    def __init__(self, learner, source, strategy="margin", every=10, led=None, out=print,
                 button=None, questions=None, extra=()):
        self.learner = learner
        self.source = source
        self.kind = _q.strategy(strategy)
        self.budget = _q.Budget(every)
        self.button = button or Button()
        for name in extra:
            if name not in _EXTRA:
                raise ValueError("unknown extra button %r; known: %s"
                                 % (name, ", ".join(sorted(_EXTRA))))
        self.extra = [(Button(), _EXTRA[name]) for name in extra]  # one gesture each
        self.questions = questions or Questions(learner.names)
        self.led = led
        self.out = out
        self._order = []  # the question's classes, most likely first
        self._x = bytearray(learner.model.input_size)  # the open question's sample, int8
        self._px = bytearray(len(self._x))  # the pending answer's sample
        self._q = bytearray(learner.max_classes)
        self.samples = self.learned = 0
        self._rnd = 12345
        if led is not None:
            led.show("listening", 0)

    def step(self, t, pressed, levels=None):
        """One pass at ticks_ms time t with the button's raw level (and the extra buttons'
        levels, in the order of `extra`): returns the action of the question flow
        (ask.ACTIONS), or ASKED when a question opened."""
        g = self.button.step(t, pressed)
        for i in range(len(self.extra)):  # an extra button's click is its one gesture
            b, meaning = self.extra[i]
            if b.step(t, levels[i]) == CLICK and not g:
                g = meaning
        a = self.questions.step(t, g)
        self._act(t, a)
        x = self.source.read(t)
        if x is not None:
            b = self._sample(t, x)
            if b:
                a = b
        if self.led is not None:
            self.led.update(t)
        return a

    def _act(self, t, a):
        q = self.questions
        if a == ANSWERED:
            self._px[:] = self._x
            self.out("answer: %s (double click to undo)" % self.learner.names[q.label])
        elif a == COMMIT:
            self._learn(q.label)
        elif a == NEXT:
            self.out(q.text())
        elif a == SKIPPED:
            self.out("skipped")
        elif a == UNDONE:
            self.out("undone: nothing learned")
        if a in _LED and self.led is not None:
            self.led.show(_LED[a], t)

    def _learn(self, c):
        lrn = self.learner
        lrn.learn(self._px, lrn.names[c])
        self.learned += 1
        if lrn.path is not None:
            lrn.save()  # atomic: a power cut leaves the old or the new state
        self.out("learned %s (%d answers)" % (lrn.names[c], self.learned))

    def _sample(self, t, x):
        lrn = self.learner
        self.samples += 1
        if self.questions.state:  # a question is open: its sample stays the one asked about
            return 0
        n = len(lrn.names)
        q = lrn.scores(x, memoryview(self._q)[:n])
        best = 0
        for c in range(1, n):
            if q[c] ^ 0x80 > q[best] ^ 0x80:
                best = c
        self._rnd = (self._rnd * 1103515245 + 12345) & 0x3FFFFFFF
        if not self.budget.ask(_q.score(self.kind, q, n, self._rnd >> 8)):
            self.out("%s %d%%" % (lrn.names[best], ((q[best] ^ 0x80) * 100 + 128) >> 8))
            return 0
        lrn.model.quantize(x, self._x)
        order = self._order
        del order[:]
        for c in range(n):  # insertion by probability, most likely first (ties: lower index)
            p = q[c] ^ 0x80
            i = len(order)
            while i > 0 and q[order[i - 1]] ^ 0x80 < p:
                i -= 1
            order.insert(i, c)
        a = self.questions.open(t, order)
        if a == COMMIT:  # an answer was still pending: learn it first
            self._learn(self.questions.label)
            if self.led is not None:
                self.led.show("learned", t)
            a = self.questions.open(t, order)
        self.out(self.questions.text())
        if self.led is not None:
            self.led.show("asking", t)
        return a

    def __repr__(self):
        return "<App %s, 1 question per %d samples: %d samples, %d learned; %r>" % (
            _q.NAMES[self.kind], self.budget.every, self.samples, self.learned, self.questions)


def board():
    """The board profile deploy copied (board.json), or {} without one."""
    import json
    for path in ("board.json", "/board.json"):
        try:
            with open(path) as f:
                return json.load(f)
        except OSError:
            pass
    return {}


def mpu6050(scl, sda, bus=0, addr=0x68):
    """An MPU6050 source on the board's I2C pins."""
    from machine import I2C, Pin
    from .sources import MPU6050
    return MPU6050(I2C(bus, scl=Pin(scl), sda=Pin(sda), freq=400000), addr)


def _hardware(prof):
    """(read_button, led, [(name, pin, level when pressed)]) from the profile's "button",
    "led" and "buttons"."""
    from .led import Led
    btn = prof.get("button", {})
    if btn.get("bootsel"):
        import rp2
        read = rp2.bootsel_button  # polled: it briefly stops flash access and interrupts
    elif "pin" in btn:
        from machine import Pin
        p = Pin(btn["pin"], Pin.IN, Pin.PULL_UP if btn.get("active_low") else None)
        low = 0 if btn.get("active_low") else 1
        read = lambda: p.value() == low  # noqa: E731
    else:
        raise ValueError("board.json has no button pin or bootsel (%r)" % (btn,))
    extra = []
    for name, b in sorted(prof.get("buttons", {}).items()):
        from machine import Pin
        p = Pin(b["pin"], Pin.IN, Pin.PULL_UP if b.get("active_low") else None)
        extra.append((name, p, 0 if b.get("active_low") else 1))
    led = None
    if "pin" in prof.get("led", {}):
        from machine import Pin
        led = Led(Pin(prof["led"]["pin"], Pin.OUT), prof["led"].get("active_high", True))
    return read, led, extra


def run(model, source, state="learned.bin", strategy="margin", every=10, period_ms=5,
        guard=GUARD):
    """The app on a board: loads `model` (a path or a Model), restores `state`, and loops
    until Ctrl-C, polling the button every period_ms. guard: the Learner's (0 = off)."""
    import time
    from . import load
    from .learner import Learner
    m = load(model) if isinstance(model, str) else model
    read, led, extra = _hardware(board())
    app = App(Learner(m, state, guard=guard), source, strategy, every, led, extra=[e[0] for e in extra])
    levels = [False] * len(extra)  # refilled each pass: no allocation in the loop
    print("microlearn app: %s; button: click = yes, hold = next class, double = skip/undo"
          % (app,))
    try:
        while True:
            for i in range(len(extra)):
                levels[i] = extra[i][1].value() == extra[i][2]
            app.step(time.ticks_ms(), read(), levels)
            time.sleep_ms(period_ms)
    except KeyboardInterrupt:
        print(app)
    return app
