"""microlearn.query on real MicroPython builds: its entropy table equals -p log2 p in 1/256
bits computed here with CPython's math, and its scores and questions equal the host twin's
(learn/active.py) on a stream of probability vectors."""
import math
import os

import numpy as np
import pytest

from conftest import DEVICE_TESTS
from microlearn_host.learn import active


def test_entropy_table(run_device):
    want = bytes([0] + [round(-(p / 256) * math.log2(p / 256) * 256) for p in range(1, 256)])
    assert list(want) == active.H  # the twin's table too
    run_device("unix", os.path.join(DEVICE_TESTS, "query_table.py"), files={"h.bin": want})


@pytest.mark.parametrize("target", ["unix", "unix32", "m0"])
def test_device_equals_twin(run_device, target):
    """Scores and questions of every strategy on 300 random probability vectors (and the
    extremes: one class sure, all equal) equal the host twin's, element for element."""
    rs = np.random.RandomState(3)
    N, n, every = 300, 7, 4
    p = rs.dirichlet(np.full(n, 0.5), N)
    p[0] = np.eye(n)[2]
    p[1] = 1 / n
    q = np.clip(np.round(p * 256) - 128, -128, 127).astype(np.int8)
    r = rs.randint(0, 1 << 30, N).astype("<u4")
    res = run_device(target, os.path.join(DEVICE_TESTS, "query_stream.py"),
                     files={"q.bin": q.tobytes(), "r.bin": r.tobytes(),
                            "n.txt": b"%d %d %d" % (N, n, every)})
    v = res.values()
    for k in active.STRATEGIES:
        b = active.Budget(every)
        want = [active.score(k, q[i], int(r[i])) for i in range(N)]
        asked = [int(b.ask(s)) for s in want]
        for name, got, exp in ((k + " scores", v[k + " scores"], want),
                               (k + " asked", v[k + " asked"], asked)):
            bad = next((i for i in range(N) if got[i] != exp[i]), None)
            assert bad is None, f"{name}: first difference at sample {bad}: board {got[bad]}, " \
                                f"twin {exp[bad]} (q {q[bad].tolist()})"
        assert 0 < sum(asked) < N
