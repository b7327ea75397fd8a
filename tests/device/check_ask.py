# The question flow (microlearn.ask) fed (time, gesture) scripts: answer, walk to another
# class, skip, time out, undo within the window and not after it, a new question while an
# answer is pending, gestures with no question open, and times across the ticks_ms wrap.
from devtest import check, equal, raises, done, result, target
from microlearn.ask import Questions, ACTIONS
from microlearn.button import NONE, CLICK, DOUBLE, LONG
from microlearn.compat import ticks_add

result("target", target())
NAMES = ["curl", "row", "press"]


def play(script, t0=0, q=None):
    """script: [(ms, "open" | gesture)] -> [(ms, action name, label)]; label only for
    answers and commits (the class the app learns)."""
    q = q or Questions(NAMES)
    out = []
    for ms, ev in script:
        t = ticks_add(t0, ms)
        a = q.open(t, [2, 0, 1]) if ev == "open" else q.step(t, ev)
        name = ACTIONS[a]
        out.append((ms, name, NAMES[q.label] if name in ("answered", "commit") else None))
    return out


equal("click answers the shown class; it is learned after the undo window",
      play([(0, "open"), (1000, CLICK), (3999, NONE), (4000, NONE)]),
      [(0, "asked", None), (1000, "answered", "press"), (3999, "none", None),
       (4000, "commit", "press")])
equal("long walks through the classes, wrapping; click takes the shown one",
      play([(0, "open"), (100, LONG), (200, LONG), (300, LONG), (400, LONG), (500, CLICK)]),
      [(0, "asked", None), (100, "next", None), (200, "next", None), (300, "next", None),
       (400, "next", None), (500, "answered", "curl")])
equal("double skips the sample", play([(0, "open"), (500, DOUBLE), (9000, NONE)]),
      [(0, "asked", None), (500, "skipped", None), (9000, "none", None)])
equal("no gesture for 15 s: skipped",
      play([(0, "open"), (14999, NONE), (15000, NONE)]),
      [(0, "asked", None), (14999, "none", None), (15000, "skipped", None)])
equal("each gesture restarts the timeout",
      play([(0, "open"), (10000, LONG), (24999, NONE), (25000, NONE)]),
      [(0, "asked", None), (10000, "next", None), (24999, "none", None),
       (25000, "skipped", None)])
equal("double within the undo window: nothing is learned",
      play([(0, "open"), (1000, CLICK), (2000, DOUBLE), (60000, NONE)]),
      [(0, "asked", None), (1000, "answered", "press"), (2000, "undone", None),
       (60000, "none", None)])
equal("a learned answer cannot be undone",
      play([(0, "open"), (1000, CLICK), (4000, NONE), (4500, DOUBLE)]),
      [(0, "asked", None), (1000, "answered", "press"), (4000, "commit", "press"),
       (4500, "ignored", None)])
equal("a new question first commits the pending answer",
      play([(0, "open"), (1000, CLICK), (1500, "open"), (1500, "open")]),
      [(0, "asked", None), (1000, "answered", "press"), (1500, "commit", "press"),
       (1500, "asked", None)])
equal("gestures with no question open are ignored",
      play([(0, CLICK), (100, LONG), (200, DOUBLE), (300, NONE)]),
      [(0, "ignored", None), (100, "ignored", None), (200, "ignored", None),
       (300, "none", None)])
equal("opening while a question is open does nothing",
      play([(0, "open"), (10, "open"), (20, CLICK)]),
      [(0, "asked", None), (10, "none", None), (20, "answered", "press")])
near = ticks_add(0, -2000)
equal("timeout and undo window across the ticks wrap",
      play([(0, "open"), (14999, NONE), (15000, NONE)], t0=near)[2:] +
      play([(0, "open"), (1000, CLICK), (4000, NONE)], t0=near)[2:],
      [(15000, "skipped", None), (4000, "commit", "press")])
q = Questions(NAMES, timeout_ms=100, undo_ms=0)
equal("timings per instance (undo_ms=0: learned at the next step)",
      play([(0, "open"), (50, CLICK), (50, NONE)], q=q),
      [(0, "asked", None), (50, "answered", "press"), (50, "commit", "press")])
q = Questions(NAMES)
q.open(0, [1, 2])
check("the console text names the shown class", "'row'" in q.text(), q.text())
q.step(10, CLICK)
check("then the pending answer and how to undo it", "'row'" in q.text() and "undo" in q.text(),
      q.text())
check("repr counts the answers", "1 answered" in repr(q), repr(q))
raises("no class names", ValueError, Questions, [])
raises("a question with no classes", ValueError, Questions(NAMES).open, 0, [])
done()
