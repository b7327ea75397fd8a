# The question flow of one button, pure: the app opens a question about a sample with the
# board's classes in order of belief, feeds the button's gestures (button.py) and the time,
# and acts on what step() returns. Gestures (README.md, "The button"):
#   question open: click = yes, it is the class shown; long = no, show the next class;
#                  double = skip this sample; no gesture for TIMEOUT_MS: skipped.
#   no question:   double = undo the last answer (within UNDO_MS).
# An answer is not learned at once: it waits UNDO_MS (or until the next question opens) and
# only then does step() return COMMIT, so an undone answer is never learned.
from micropython import const

from .button import CLICK, DOUBLE, LONG
from .compat import ticks_diff

NONE = const(0)
ASKED = const(1)  # a question opened (the app prints text, shows "asking")
NEXT = const(2)  # the question shows the next class
ANSWERED = const(3)  # the user answered: pending until COMMIT
COMMIT = const(4)  # learn the pending sample as class `label` now
SKIPPED = const(5)  # the question closed without an answer (double press or timeout)
UNDONE = const(6)  # the pending answer is dropped
IGNORED = const(7)  # a gesture with nothing to act on
ACTIONS = ("none", "asked", "next", "answered", "commit", "skipped", "undone", "ignored")

_IDLE = const(0)
_OPEN = const(1)


class Questions:
    TIMEOUT_MS = 15000
    UNDO_MS = 3000

    def __init__(self, names, timeout_ms=None, undo_ms=None):
        if not names:
            raise ValueError("a question needs at least one class name")
        self.names = names  # the Learner's list: classes it adds show up here
        self.timeout_ms = self.TIMEOUT_MS if timeout_ms is None else timeout_ms
        self.undo_ms = self.UNDO_MS if undo_ms is None else undo_ms
        self.order = []  # class indices, most likely first (the question's)
        self.state = _IDLE
        self.shown = 0  # which of order is shown
        self.label = -1  # the class of the pending answer (or of the last COMMIT)
        self.pending = False
        self._t = 0  # when the question opened or last changed
        self._ta = 0  # when the pending answer was given
        self.answers = self.skips = self.undos = 0

    def open(self, t, order):
        """Open a question about a new sample, classes in `order` (indices, most likely
        first). Returns COMMIT when a pending answer must be learned first (the app learns
        it, then calls open() again), ASKED, or NONE when a question is open already."""
        if self.state == _OPEN:
            return NONE
        if self.pending:
            self.pending = False
            return COMMIT
        if not order:
            raise ValueError("a question needs at least one class")
        self.order = order
        self.shown = 0
        self.state = _OPEN
        self._t = t
        return ASKED

    def step(self, t, gesture):
        """A gesture (button.NONE for none) at time t -> one action."""
        if self.state == _OPEN:
            if gesture == CLICK:
                self.label = self.order[self.shown]
                self.state = _IDLE
                self.pending = True
                self._ta = t
                self.answers += 1
                return ANSWERED
            if gesture == LONG:
                self.shown = self.shown + 1 if self.shown + 1 < len(self.order) else 0
                self._t = t
                return NEXT
            if gesture == DOUBLE or ticks_diff(t, self._t) >= self.timeout_ms:
                self.state = _IDLE
                self.skips += 1
                return SKIPPED
            return NONE
        if self.pending:
            if gesture == DOUBLE:
                self.pending = False
                self.undos += 1
                return UNDONE
            if ticks_diff(t, self._ta) >= self.undo_ms:
                self.pending = False
                return COMMIT
        return IGNORED if gesture else NONE

    def text(self):
        """What the serial console shows for the current state."""
        if self.state == _OPEN:
            return "Is it %r? click: yes, hold: next class, double: skip" % (
                self.names[self.order[self.shown]],)
        if self.pending:
            return "Answer %r; double click within %d s to undo" % (
                self.names[self.label], self.undo_ms // 1000)
        return "listening"

    def __repr__(self):
        return "<Questions %s; %d answered, %d skipped, %d undone>" % (
            self.text(), self.answers, self.skips, self.undos)
