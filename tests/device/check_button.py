# The button state machine (microlearn.button) fed (time, level) scripts by polling every
# 5 ms, as the app loop does: clean, bouncing and too-short presses, a hold, a button stuck
# down, double and triple presses, and the same gestures across the ticks_ms wrap.
# Expected event times are worked out by hand from the timings (debounce 20, long 800,
# double 300 ms) and the 5 ms poll.
from microlearn.compat import ticks_add, ticks_diff
from devtest import check, equal, raises, done, result, target
from microlearn.button import Button, NONE, CLICK, DOUBLE, LONG, NAMES

result("target", target())


def play(changes, until, t0=0, dt=5, b=None):
    """changes: [(ms, level)] from t0; polls every dt ms to `until`; returns [(ms, name)]."""
    b = b or Button()
    level = False
    i = 0
    out = []
    for ms in range(0, until + 1, dt):
        while i < len(changes) and changes[i][0] <= ms:
            level = changes[i][1]
            i += 1
        ev = b.step(ticks_add(t0, ms), level)
        if ev != NONE:
            out.append((ms, NAMES[ev]))
    return out


def bouncy(t, level, n=4, gap=3):
    """level at t after n contact bounces gap ms apart (ms values rounded to the 5 ms poll
    still toggle between polls: the debouncer must not see a stable level)."""
    return [(t + k * gap, level if k % 2 == 0 else not level) for k in range(n)] + \
        [(t + n * gap, level)]


# a click is given when the double window closes: release seen at 220 (200 + 20), + 300
equal("short press: one click", play([(100, True), (200, False)], 1500), [(520, "click")])
bounced = bouncy(100, True, 6, 2) + bouncy(250, False, 6, 2)
# last bounces: down from 115 (stable 135), up from 265 (stable 285): click at 585
equal("bouncing contacts: one click", play(bounced, 1500), [(585, "click")])
equal("a 10 ms glitch is no press", play([(100, True), (110, False)], 1500), [])
# held: down counts at 120, LONG at 920 while still held, the release gives nothing
equal("hold: one long, nothing on release", play([(100, True), (2000, False)], 3000),
      [(920, "long")])
equal("stuck down for 60 s: one long", play([(100, True)], 60000, dt=50), [(150 + 800, "long")])
# second press down counts at 320 (300 + 20): DOUBLE then, nothing on its release
equal("double press", play([(100, True), (180, False), (300, True), (380, False)], 1500),
      [(320, "double")])
equal("two presses 400 ms apart: two clicks",
      play([(100, True), (180, False), (600, True), (680, False)], 2000),
      [(500, "click"), (1000, "click")])
equal("triple press: double, then click",
      play([(100, True), (150, False), (250, True), (300, False), (400, True), (450, False)],
           1500), [(270, "double"), (770, "click")])
equal("long press after a click: click, then long",
      play([(100, True), (150, False), (700, True), (2000, False)], 2500),
      [(470, "click"), (1520, "long")])
# the same presses straddling the ticks_ms wrap (ticks_add(0, -300) is just below it)
near = ticks_add(0, -300)
equal("click across the ticks wrap", play([(100, True), (200, False)], 1500, t0=near),
      [(520, "click")])
equal("long across the ticks wrap", play([(100, True), (2000, False)], 3000, t0=near),
      [(920, "long")])
check("the wrap is really crossed", ticks_diff(ticks_add(near, 920), near) == 920 and
      ticks_add(near, 920) < near, "ticks %d -> %d" % (near, ticks_add(near, 920)))
fast = Button(debounce_ms=0, long_ms=100, double_ms=0)
equal("timings per button (no debounce, no double window)",
      play([(10, True), (30, False), (200, True), (400, False)], 600, b=fast),
      [(30, "click"), (300, "long")])
b = Button()
b.step(0, True)
b.step(30, True)
b.reset()
equal("reset forgets a press in progress", [b.step(t, False) for t in (40, 2000)], [NONE, NONE])
raises("debounce_ms of -1", ValueError, Button, -1)
raises("long_ms not above debounce_ms", ValueError, Button, 50, 50)
raises("double_ms of a float", ValueError, Button, None, None, 0.3)
check("repr says the state", "released" in repr(Button()), repr(Button()))
check("events are distinct", len({NONE, CLICK, DOUBLE, LONG}) == 4)
done()
