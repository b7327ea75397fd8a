# LED patterns (microlearn.led): levels at hand-picked times, repeating and one-shot
# patterns, an active-low pin, writes only on a change, unknown pattern names.
from devtest import check, equal, raises, done, result, target
from microlearn.led import Led, level, PATTERNS

result("target", target())
equal("asking blinks 150/150 and repeats",
      [level("asking", t) for t in (0, 149, 150, 299, 300, 449, 450)], [1, 1, 0, 0, 1, 1, 0])
equal("listening: 30 ms on every 3 s",
      [level("listening", t) for t in (0, 29, 30, 2999, 3000, 3029, 3030)],
      [1, 1, 0, 0, 1, 1, 0])
equal("learned: three blinks, then off for good",
      [level("learned", t) for t in (0, 79, 80, 160, 240, 320, 399, 400, 10000)],
      [1, 1, 0, 1, 0, 1, 1, 0, 0])
equal("answered: on for 1 s once", [level("answered", t) for t in (0, 999, 1000, 5000)],
      [1, 1, 0, 0])
equal("off is off", [level("off", t) for t in (0, 500, 999, 1000)], [0, 0, 0, 0])
check("every pattern has on/off durations", all(len(d) >= 2 for d in PATTERNS.values()))


class Pin:  # a fake pin (the real one is machine.Pin): records what is written
    def __init__(self):
        self.writes = []

    def value(self, v):
        self.writes.append(v)


p = Pin()
led = Led(p, active_high=False)
led.show("asking", 1000)
got = [led.update(t) for t in (1000, 1100, 1160, 1200, 1310)]
equal("levels over time", got, [1, 1, 0, 0, 1])
equal("active-low pin: written inverted, only on changes", p.writes, [0, 1, 0])
raises("unknown pattern", ValueError, led.show, "party", 0)
done()
