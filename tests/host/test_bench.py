"""The bench's model builders (host only, no timing): the DS-CNN and MLP are
the shapes and MAC counts they claim, computed here from first principles."""
import json
import math

import numpy as np

from microlearn_host.bench import models as bm
from microlearn_host import modelfile
from microlearn_host.quant.qmodel import prepare


def _same(n, s):
    return math.ceil(n / s)


def test_ds_cnn_shapes_and_macs():
    m = bm.ds_cnn()
    oh, ow = _same(49, 2), _same(10, 2)          # 25 x 5 after the strided 10x4 conv
    assert (oh, ow) == (25, 5)
    expect = [("CONV_2D", (oh, ow, 64), oh * ow * 64 * 10 * 4 * 1)]
    for _ in range(4):
        expect.append(("DEPTHWISE_CONV_2D", (oh, ow, 64), oh * ow * 64 * 3 * 3))
        expect.append(("CONV_2D", (oh, ow, 64), oh * ow * 64 * 64))
    expect += [("AVERAGE_POOL_2D", (1, 1, 64), 0), ("FULLY_CONNECTED", (12,), 64 * 12), ("SOFTMAX", (12,), 0)]
    assert m.input_shape == (49, 10, 1)
    assert bm.layer_macs(m) == expect
    assert [tuple(p["out_shape"]) for p in prepare(m)] == [e[1] for e in expect]
    total = 320000 + 4 * (72000 + 512000) + 768
    assert bm.total_macs(m) == total == 2656768
    # parameters: weights + biases
    params = sum(L.weights.size + L.bias.size for L in m.layers if L.weights is not None)
    assert params == (64 * 40 + 64) + 4 * (9 * 64 + 64 + 64 * 64 + 64) + (64 * 12 + 12)
    assert len(m.class_names) == 12


def test_mlp_shapes_and_macs():
    m = bm.mlp()
    assert [L.weights.shape for L in m.layers[:-1]] == [(32, 64), (16, 32), (10, 16)]
    assert bm.total_macs(m) == 64 * 32 + 32 * 16 + 16 * 10
    assert m.layers[-1].op == "SOFTMAX"


def test_models_serialise_and_fit_the_arena_plan():
    files, meta = bm.model_files()
    for name, info in meta.items():
        data = files[info["file"]]
        assert len(data) == info["bytes"]
        rec = modelfile.read(data)
        assert info["input"] == int(np.prod(rec["tensors"][0]["shape"]))
    # the DS-CNN's arena holds at least its two largest live activations (25x5x64 each)
    assert modelfile.read(files["ds_cnn.mlm"])["arena_size"] >= 2 * 25 * 5 * 64


def test_kernel_cases():
    blob, meta = bm.kernel_cases()
    assert meta["fc"]["macs"] == 256 * 64 and meta["fc"]["p"][:2] == [256, 64]
    assert meta["conv"]["macs"] == 16 * 16 * 16 * 3 * 3 * 16
    assert meta["dwconv"]["macs"] == 16 * 16 * 64 * 3 * 3
    # conv inputs are the padded (SAME, 3x3) buffers the kernels read
    assert meta["conv"]["n_x"] == 18 * 18 * 16 and meta["dwconv"]["n_x"] == 18 * 18 * 64
    for c in meta.values():
        off, size = c["blob"]
        assert off % 4 == 0 and off + size <= len(blob)
        # weights (padded to 4) + bias, mult, shift (int32 per channel)
        assert size == ((c["w"] + 3) & ~3) + 12 * c["n_ch"]
    json.dumps(meta)


def test_dot_table_units():
    """The unit column names the unit of the figures beside it, not the board's clock."""
    from microlearn_host.bench import report
    text = report.dot_table({"unix": {"unit": "us", "viper": (100.0, 25600), "plain": (3000.0, 25600)},
                             "m0": {"unit": "instructions", "viper": (200000, 65536), "plain": (5e6, 65536)}})
    rows = {r.split("|")[1].strip(): [c.strip() for c in r.split("|")[1:-1]]
            for r in text.splitlines() if r.startswith("| unix") or r.startswith("| m0")}
    assert rows["unix"][1] == "M MAC/s (higher is better)", rows
    assert rows["unix"][2] == "256.00" and rows["unix"][3] == "8.53", rows
    assert rows["m0"][1] == "instr/MAC (lower is better)", rows
    assert rows["m0"][2] == "3.1" and rows["m0"][3] == "76.3", rows
    assert " us " not in text and "| us |" not in text


def test_header_says_what_varies_between_machines():
    from microlearn_host.bench import report
    text = report.header(["unix", "m0"], "host", "2026-01-01")
    assert "vary between machines" in text
    for figure in ("float", "int8", "train s", "us"):
        assert figure in text, figure
    assert "do not vary" in text and "instructions" in text


def test_streaming_table_and_goal():
    """The streaming section's overhead is streamed / in-RAM - 1 on the same target, the goal
    is read off person detection at the smallest buffer, and a differing output is flagged."""
    from microlearn_host.bench import streaming
    run = lambda infer, crc: {"unit": "instructions", "load": 1, "infer": infer, "free": 5, "alloc": 0,
                              "crc": crc}
    res = {"person_detect": {"file": 10, "macs": 20, "read": 9, "arena": {
        "simple": 300, "ours": 120, "bound": 100, "worst": 3}, "runs": [
        ("m0big", False, 0, True, run(40_000_000, 7)), ("m0big", True, 5376, True, run(52_000_000, 7)),
        ("m0", True, 5376, True, run(60_000_000, 8)), ("m0", True, 16384, True, "no block")]}}
    text = streaming.render(res)
    rows = [r for r in text.splitlines() if r.startswith("| person_detect")]
    assert "+30.0%" in rows[1] and "same as in RAM" in rows[1]
    assert "| - |" in rows[2] and "**differs**" in rows[2]  # another target: no ratio
    assert "failed: no block" in rows[3]
    assert "+30.0% instructions against in RAM (goal <= +25%: **not met**)" in text
    assert "| person_detect | 300 | 120 | 100 (3) |" in text


def test_streaming_bench_body_runs_both_modes():
    """device/scripts/bench_stream.py on unix: in RAM and streamed give the same output."""
    from microlearn_host.board.runner import run_body
    qm = bm.mlp()
    files = {"model.mlm": modelfile.write(qm), "x.bin": bytes(range(64))}
    out = []
    for stream in (False, True):
        files["cfg.json"] = json.dumps({"stream": stream, "wbuf": 1024, "verify": True,
                                        "kernels": "best"}).encode()
        out.append(run_body("unix", "bench_stream.py", files)["run"])
    assert out[0]["crc"] == out[1]["crc"] and out[0]["unit"] == "us"
    assert out[1]["free"] > 0
    assert out[0]["alloc"] == 0 == out[1]["alloc"]  # C file reads and a small-int checksum