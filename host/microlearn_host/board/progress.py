"""Progress on stderr for steps that run on boards (seconds to minutes each).

Shown when stderr is a terminal, so tests and logs stay quiet;
MICROLEARN_PROGRESS=0 turns it off, MICROLEARN_PROGRESS=1 on (even into a file).
"""
import contextlib
import os
import sys
import time


def enabled():
    flag = os.environ.get("MICROLEARN_PROGRESS", "")
    if flag in ("0", "1"):
        return flag == "1"
    return sys.stderr.isatty()


class Bar:
    """A bar over `total` items (samples), or nothing when progress is off."""

    def __init__(self, total, desc, unit="sample"):
        self._bar = None
        if enabled():
            from tqdm.auto import tqdm
            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=True,
                             dynamic_ncols=True, mininterval=0.5)

    def __call__(self, done, total=None):
        if self._bar is not None and done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def close(self):
        if self._bar is not None:
            self._bar.close()


@contextlib.contextmanager
def stage(text):
    """One line when a step starts, one with its seconds when it ends."""
    on = enabled()
    t0 = time.monotonic()
    if on:
        print("%s ..." % text, file=sys.stderr, flush=True)
    try:
        yield
    finally:
        if on:
            print("%s: %.1f s" % (text, time.monotonic() - t0), file=sys.stderr, flush=True)
