"""The budget is checked against reality on the heap-capped virtual boards.

budget.need() says how much heap a model takes on a board: model file + arena +
load()'s tables + the float32 copy of list input + code + peak (what load()
needs only while it runs, and what the imports' garbage splits off the heap) +
the user's working reserve. For model families with a size knob (a wide FC, a
deep FC chain, an FC whose embedding (the input of its last layer) is thousands wide, the
bench DS-CNN with more filters), tests/device/budget_probe.py loads and runs
models near the board's limit on unix32 and m0 in a heap where exactly
heap_bytes - RESERVE is free (the reserve is the user's):
- a model that fits with MARGIN to spare loads and predicts (float and int8);
- a model whose budget is over by PEAK + MARGIN is refused with a ValueError
  (between the two, whether it loads depends on how the heap splits);
- the heap in use after load and predict is within MARGIN of the budget's
  figure without peak and reserve.
m0 loads .mpy into its heap as a board does, so its code counts as measured.
The Unix port keeps native code outside its heap, so on unix32 the engine is
imported first and the ballast leaves the budget's code figure less free.
"""
import json

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.bench import models as bench_models
from microlearn_host.board import budget
from microlearn_host.board import profiles as boards
from microlearn_host.quant.qmodel import QLayer, QModel

MARGIN = 3072  # bytes: |measured - budget|, and how far inside the limit a fitting model is
TARGETS = ("unix32", "m0")
# The virtual boards' runner and the probe itself take this much heap that a board's REPL
# does not (m0: its RAM filesystem and the staged devtest.py, ~8 KB; devtest grows): the
# tests treat the heap as that much smaller, with room for devtest and the package to grow.
ENV = 11264


def fc_chain(widths, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        w = rng.integers(-3, 4, size=(b, a), dtype=np.int8)
        layers.append(QLayer("FULLY_CONNECTED", [i], (b,), 0.05, 0, weights=w,
                             bias=np.zeros(b, np.int32), w_scales=np.full(b, 0.01)))
    return QModel((widths[0],), 0.02, 0, layers, class_names=["class%d" % i for i in range(widths[-1])])


FAMILIES = {  # name: (build(k), k range)
    "fc": (lambda k: fc_chain([400, k, 10]), (1, 600)),
    "deep": (lambda k: fc_chain([32] * (k + 1)), (1, 300)),
    "wide_embedding": (lambda k: fc_chain([16, k, 10]), (16, 12000)),  # the embedding is k wide
    "ds_cnn": (lambda k: bench_models.ds_cnn(filters=k), (8, 160)),
}


def _total(family, k, arch):
    return budget.need(modelfile.write(FAMILIES[family][0](k)), arch)["total"]


def _edge(family, arch, limit):
    """Largest knob whose budget total is <= limit (binary search: totals grow with k)."""
    lo, hi = FAMILIES[family][1]
    assert _total(family, lo, arch) <= limit < _total(family, hi, arch), family
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _total(family, mid, arch) <= limit:
            lo = mid
        else:
            hi = mid
    return lo


def _probe(run_device, target, data, n_in, arch):
    heap = boards.load(target)["heap_bytes"] - ENV
    unix = boards.load(target)["kind"] == "unix"
    free = heap - budget.RESERVE - (budget.code_bytes(arch) if unix else 0)
    cfg = dict(free=free, code_first=unix, n=n_in)
    res = run_device(target, "budget_probe.py", timeout=600,
                     files={"model.mlm": data, "probe.json": json.dumps(cfg).encode()})
    v = res.values()
    assert abs(v["free before load"] - v["free wanted"]) <= 256, f"{target}: could not set the free heap: {v}"
    return v


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("target", TARGETS)
def test_fits_loads_and_the_figure_is_real(target, family, run_device):
    board = boards.load(target)
    arch, heap, unix = board["arch"], board["heap_bytes"] - ENV, board["kind"] == "unix"
    k_in = _edge(family, arch, heap - MARGIN)
    k_out = _edge(family, arch, heap + budget.PEAK + MARGIN) + 1
    for k, fits in ((k_in, True), (k_out, False)):
        qm = FAMILIES[family][0](k)
        data = modelfile.write(qm)
        n = budget.need(data, arch)
        assert (n["total"] <= heap) == fits
        v = _probe(run_device, target, data, int(np.prod(qm.input_shape)), arch)
        what = f"{target} {family}({k}): budget {budget.describe(n)} = {n['total']} of {heap}; device {v}"
        if not fits:
            assert v["outcome"].startswith("ValueError"), what
            continue
        assert v["outcome"] == "ok", what
        want = n["total"] - n["reserve"] - n["peak"] - (n["code"] if unix else 0)
        assert abs(v["used"] - want) <= MARGIN, f"heap used {v['used']} vs budget {want}: {what}"
        print(f"{target} {family}({k}): heap used {v['used']}, budget {want} (total {n['total']})")
