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
from microlearn_host.board import budget, budget_stream
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



def _streamed_probe(run_device, data, n_in, free, wbuf):
    cfg = dict(free=free, code_first=True, n=n_in, wbuf=wbuf)
    v = run_device("unix32", "budget_probe.py", timeout=600,
                   files={"model.mlm": data, "probe.json": json.dumps(cfg).encode()}).values()
    assert abs(v["free before load"] - v["free wanted"]) <= 256, v
    assert v["outcome"] == "ok", v
    return v


def test_dscnn_fits_the_esp32_streamed(run_device):
    """The ESP32 budget: its viper machine code lives outside the Python heap (as on the Unix
    port, whose unix32 build runs the ESP32's kernel set), so unix32 with the engine imported
    first and exactly the heap an ESP32 has left after its code and the reserve stands in for
    it. The bench DS-CNN is over the in-heap budget there and fits streamed: it loads with the
    ESP32's 8 KB weight buffer and predicts, in the heap the streamed figure says."""
    data = modelfile.write(bench_models.ds_cnn())
    esp = boards.load("esp32")
    n = budget.need(data, esp["arch"])
    assert n["total"] > esp["heap_bytes"]
    wbuf = budget_stream.default_wbuf("esp32")
    s = budget_stream.need(data, esp["arch"], wbuf)
    assert s["total"] <= esp["heap_bytes"] and s["exec"] <= esp["exec_bytes"]
    free = esp["heap_bytes"] - budget.RESERVE - s["code"] - budget.quantize_bytes(esp["arch"])[0]
    v = _streamed_probe(run_device, data, 490, free, wbuf)
    # the probe imports the code first, float input's quantize too (streamed: on first use)
    want = s["total"] - s["reserve"] - s["peak"] - s["code"] - budget.quantize_bytes(esp["arch"])[0]
    assert abs(v["used"] - want) <= MARGIN, f"heap used {v['used']} vs streamed budget {want}: {v}"
    print(f"unix32 as an ESP32: DS-CNN streamed in {free} free bytes: used {v['used']}, budget {want}")


def test_streamed_figure_of_a_chunked_autoencoder(run_device):
    """The streamed budget's per-layer and per-chunk figures on a model whose FC layers run
    in 1 to 12 chunks of output channels (unix32, 8 KB weight buffer, engine imported first)."""
    from microlearn_host.bench import big_models
    data = modelfile.write(big_models.autoencoder())
    s = budget_stream.need(data, "x86", 8192)
    v = _streamed_probe(run_device, data, 640, 100000, 8192)
    want = s["total"] - s["reserve"] - s["peak"] - s["code"] - budget.quantize_bytes("x86")[0]
    assert abs(v["used"] - want) <= MARGIN, f"heap used {v['used']} vs streamed budget {want}: {v}"
