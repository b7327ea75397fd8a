# One button's gestures from polled levels: a pure state machine fed (time_ms, pressed)
# by whatever reads the pin (app.py; a test script; a host key). Debounced by time: a level
# counts once it has held for DEBOUNCE_MS. Each gesture gives exactly one event (the
# "suppress" rule of peterhinch's Pushbutton): CLICK (a short press, released, and no second
# press within DOUBLE_MS), DOUBLE (a second short press within DOUBLE_MS, given when it
# goes down), LONG (held for LONG_MS, given while still held; its release gives nothing).
# A button stuck down gives one LONG and then nothing until it is released.
# Times are ticks_ms values: only ticks_diff compares them, so they may wrap.
from micropython import const
from .compat import ticks_diff

NONE = const(0)
CLICK = const(1)
DOUBLE = const(2)
LONG = const(3)
NAMES = ("none", "click", "double", "long")

_UP = const(0)  # released, nothing pending
_DOWN = const(1)  # first press down since _t
_WAIT = const(2)  # first press released at _t: a second one makes it a DOUBLE
_DOWN2 = const(3)  # second press down (DOUBLE given): wait for the release
_HELD = const(4)  # LONG given: wait for the release


class Button:
    """b = Button(); ev = b.step(time.ticks_ms(), pin.value() == 0) every few ms."""

    DEBOUNCE_MS = 20
    LONG_MS = 800
    DOUBLE_MS = 300

    def __init__(self, debounce_ms=None, long_ms=None, double_ms=None):
        for name, v in (("debounce_ms", debounce_ms), ("long_ms", long_ms),
                        ("double_ms", double_ms)):
            if v is not None and (not isinstance(v, int) or not 0 <= v <= 60000):
                raise ValueError("%s must be an int of 0..60000 ms, got %r" % (name, v))
        self.debounce_ms = self.DEBOUNCE_MS if debounce_ms is None else debounce_ms
        self.long_ms = self.LONG_MS if long_ms is None else long_ms
        self.double_ms = self.DOUBLE_MS if double_ms is None else double_ms
        if self.long_ms <= self.debounce_ms:
            raise ValueError("long_ms=%d must exceed debounce_ms=%d"
                             % (self.long_ms, self.debounce_ms))
        self.reset()

    def reset(self):
        """Forget any gesture in progress (the level counts as released)."""
        self.state = _UP
        self.pressed = False  # the debounced level
        self._raw = False
        self._t_raw = None  # when the raw level last changed
        self._t = 0  # when the current state began

    def step(self, t, pressed):
        """Feed the raw level read at ticks_ms time t; returns NONE or one gesture event."""
        pressed = bool(pressed)
        if self._t_raw is None or pressed != self._raw:
            self._raw = pressed
            self._t_raw = t
        if pressed != self.pressed and ticks_diff(t, self._t_raw) >= self.debounce_ms:
            self.pressed = pressed
            return self._edge(t, pressed)
        return self._time(t)

    def _edge(self, t, down):
        s = self.state
        if down:
            if s == _WAIT:
                self.state = _DOWN2
                return DOUBLE
            self.state = _DOWN
            self._t = t
            return NONE
        if s == _DOWN:  # a short press: CLICK unless a second one follows soon
            if not self.double_ms:  # no double presses: the click is certain now
                self.state = _UP
                return CLICK
            self.state = _WAIT
            self._t = t
            return NONE
        self.state = _UP  # the end of a DOUBLE or LONG press: nothing more
        return NONE

    def _time(self, t):
        s = self.state
        if s == _DOWN and ticks_diff(t, self._t) >= self.long_ms:
            self.state = _HELD
            return LONG
        if s == _WAIT and ticks_diff(t, self._t) >= self.double_ms:
            self.state = _UP
            return CLICK
        return NONE

    def __repr__(self):
        return "<Button %s, %s; debounce %d ms, long %d ms, double %d ms>" % (
            ("up", "down", "released, double possible", "down (double)", "held (long)")[
                self.state], "pressed" if self.pressed else "released", self.debounce_ms,
            self.long_ms, self.double_ms)
