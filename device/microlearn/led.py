# LED patterns as data: each a tuple of on/off durations in ms, repeated (a trailing 0 means
# "then stay off"). The level is a pure function of the pattern and the time since it began,
# so the app loop only writes the pin: led.value(Led.level(...)) or an Led that owns the pin.
from .compat import ticks_diff

PATTERNS = {
    "off": (0, 1000),
    "listening": (30, 2970),  # a short blink every 3 s: alive
    "asking": (150, 150),  # fast blinking: a question is open
    "answered": (1000, 0),  # on for 1 s, once: the answer is noted (undo possible)
    "learned": (80, 80, 80, 80, 80, 0),  # three quick blinks, once
    "error": (600, 200, 600, 200, 600, 0),  # three long blinks, once
}


def level(pattern, elapsed):
    """1 (on) or 0 (off) at `elapsed` ms into `pattern` (a name in PATTERNS)."""
    d = PATTERNS[pattern]
    once = d[-1] == 0
    total = 0
    for v in d:
        total += v
    if elapsed < 0:
        return 0
    if not once:
        elapsed %= total
    on = 1
    for v in d:
        if elapsed < v:
            return on
        elapsed -= v
        on ^= 1
    return 0


class Led:
    """Shows one pattern at a time on `pin` (anything with value(level)), active_high as
    the board profile says; show() starts a pattern, update(t) every loop pass."""

    def __init__(self, pin, active_high=True):
        self.pin = pin
        self.active_high = active_high
        self.pattern = "off"
        self._t0 = 0
        self._on = -1  # the level written last: the pin is written only on a change

    def show(self, pattern, t):
        if pattern not in PATTERNS:
            raise ValueError("unknown LED pattern %r; known: %s"
                             % (pattern, ", ".join(sorted(PATTERNS))))
        self.pattern = pattern
        self._t0 = t

    def update(self, t):
        on = level(self.pattern, ticks_diff(t, self._t0))
        if on != self._on:
            self._on = on
            if self.pin is not None:
                self.pin.value(on if self.active_high else 1 - on)
        return on
