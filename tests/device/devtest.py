# Device-side test harness (MicroPython): checks and results go to stdout as
# "@@ <json>" lines that the host runner parses; everything else is for people.
import json
import sys

_counts = [0, 0]


def check(name, ok, detail=None):
    ok = bool(ok)
    _counts[0 if ok else 1] += 1
    print("@@ " + json.dumps({"check": name, "ok": ok, "detail": detail}))
    return ok


def equal(name, got, want):
    """Exact equality of numbers or sequences; the detail names the first differing element."""
    if got == want:
        return check(name, True)
    try:
        for i in range(max(len(got), len(want))):
            if i >= len(got) or i >= len(want) or got[i] != want[i]:
                g = got[i] if i < len(got) else "<missing>"
                w = want[i] if i < len(want) else "<missing>"
                return check(name, False, "first difference at element %d: got %s, want %s" % (i, g, w))
    except TypeError:
        pass
    return check(name, False, "got %r, want %r" % (got, want))


def raises(name, exc_type, fn, *args):
    """fn(*args) must raise exc_type; the detail gives what happened instead."""
    try:
        fn(*args)
    except exc_type as e:
        return check(name, True, str(e))
    except Exception as e:
        return check(name, False, "raised %s: %s" % (type(e).__name__, e))
    return check(name, False, "did not raise")


def result(name, value):
    print("@@ " + json.dumps({"result": name, "value": value}))


def target():
    """'x64'-like 64-bit or 32-bit word size, for checks that differ by design."""
    return {"bits": 64 if sys.maxsize > 2**31 else 32, "platform": sys.platform}


class Rand:
    """A seeded LCG that draws the same numbers on every port (ints stay below 2**31):
    one stream for the device tests instead of a copy in each script."""

    def __init__(self, seed):
        self.seed = seed

    def rnd(self):  # 15 bits
        self.seed = (self.seed * 1103515245 + 12345) & 0x7FFFFFFF
        return self.seed >> 16

    def rint(self, lo, hi):  # inclusive, hi - lo < 2**30
        return lo + ((self.rnd() << 15) | self.rnd()) % (hi - lo + 1)


def done():
    print("@@ " + json.dumps({"done": True, "passed": _counts[0], "failed": _counts[1]}))
