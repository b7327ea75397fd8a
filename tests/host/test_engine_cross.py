"""Device engine == numpy reference == tflite-micro, bit for bit, on every target.

Generated single-layer models (every op) and small networks are written as
.mlm files, staged in batches with their inputs, run by
tests/device/engine_cross.py and compared element by element. Each model
gets two int8 inputs (one half saturated) and one float input that the device
normalises (per-channel mean/std) and quantizes itself.
Seeds: numpy.random.default_rng([SALT, op index, seed]) (op index 100 = small model).
"""
import functools
import os

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.quant import randmodel, reference
from microlearn_host.tflite import oracle, writer

from conftest import DEVICE_TESTS

SALT = 20250101
PER_OP = 25                 # 9 ops x 25 single-layer models
SMALL = 100                 # + 100 small networks
BATCH_BYTES = 96_000        # staged bytes per device run: QEMU boards keep them outside the heap
BATCH_MAX = 120


def _float_input(rng, m):
    """Raw float input with per-channel mean/std set on the model."""
    c = m.input_shape[-1]
    m.mean = rng.normal(0, 3, size=c).astype(np.float32)
    m.std = (10 ** rng.uniform(-1, 1, size=c)).astype(np.float32)
    z = rng.normal(0, 1, size=m.input_shape) * 128 * m.input_scale * rng.uniform(0.2, 2)
    return (z * m.std + m.mean).astype(np.float32)


@functools.lru_cache(maxsize=1)
def cases():
    """[(name, seed, file bytes, int8 inputs, float input, expected outputs)]."""
    out, skipped = [], []
    specs = [(k, s) for k in range(len(randmodel.OPS)) for s in range(PER_OP)] + \
            [(100, s) for s in range(SMALL)]
    for k, s in specs:
        seed = [SALT, k, s]
        rng = np.random.default_rng(seed)
        m = (randmodel.random_small_model(rng) if k == 100
             else randmodel.random_layer_model(rng, randmodel.OPS[k]))
        xf = _float_input(rng, m)
        try:
            data = modelfile.write(m)
        except ValueError as e:
            skipped.append((seed, str(e)))
            continue
        xs = [randmodel.random_input(rng, m, 0.05), randmodel.random_input(rng, m, 0.5)]
        xq = reference.quantize_input(m, xf)
        want = [reference.run(m, x)[-1] for x in xs + [xq]]
        orc = oracle.Oracle(writer.write(m, outputs='all'))
        for x, w in zip(xs + [xq], want):
            tf = orc.run(x)[-1]
            np.testing.assert_array_equal(w.reshape(-1), np.asarray(tf).reshape(-1),
                                          err_msg=f"reference != tflite-micro, seed {seed}")
        name = "k%d_%d" % (k, s)
        out.append((name, seed, data, xs, xf, want))
    assert len(skipped) <= len(specs) // 20, f"too many models refused: {skipped[:5]}"
    return out


def batches(cs):
    b, size = [], 0
    for c in cs:
        sz = len(c[2]) + sum(x.size for x in c[3]) + 4 * c[4].size
        if b and (size + sz > BATCH_BYTES or len(b) >= BATCH_MAX):
            yield b
            b, size = [], 0
        b.append(c)
        size += sz
    if b:
        yield b


def test_case_count():
    assert len(cases()) >= 300


# the assembler's kernels are the default where the firmware has them (m0, m3); these runs
# cover the other kernel sets: viper as an ESP32 runs it, on the RP2040's instruction set,
# and the plain twins (fast enough on unix only)
OTHER_SETS = [("m0", "viper"), ("unix", "plain")]
THUMB_TARGETS = ("m0", "m3")


def test_engine_cross(target, run_device):
    _cross(target, "best", run_device)


@pytest.mark.parametrize("target,kset", OTHER_SETS)
def test_engine_cross_other_kernels(target, kset, run_device):
    _cross(target, kset, run_device)


def _cross(target, kset, run_device):
    checked = 0
    for batch in batches(cases()):
        files = {"cases.txt": "".join(f"{c[0]} 2 1\n" for c in batch).encode(),
                 "kernels.txt": kset.encode()}
        for name, seed, data, xs, xf, want in batch:
            files[name + ".mlm"] = data
            files[name + ".bin"] = b"".join(x.tobytes() for x in xs)
            files[name + ".f32"] = xf.astype("<f4").tobytes()
        res = run_device(target, os.path.join(DEVICE_TESTS, "engine_cross.py"), files=files, timeout=600)
        vals = res.values()
        # the set that ran is the one asked for: thumb by default where the firmware has it
        assert vals["kernels"] == kset
        assert vals["thumb"] == (kset == "best" and target in THUMB_TARGETS), vals["thumb"]
        for name, seed, data, xs, xf, want in batch:
            got = vals.get(name, "<missing>").split()
            assert len(got) == len(want), f"{target}: seed {seed} ({name}): device said {vals.get(name)!r}"
            for j, (g, w) in enumerate(zip(got, want)):
                g = np.frombuffer(bytes.fromhex(g), np.int8)
                w = w.reshape(-1)
                if not np.array_equal(g, w):
                    i = int(np.argwhere(g != w)[0][0]) if g.size == w.size else -1
                    kind = "float input" if j == 2 else f"int8 input {j}"
                    pytest.fail(f"{target}: seed {seed} ({name}), {kind}: first difference at element {i}: "
                                f"device {g[i] if i >= 0 else g.size} != reference {w[i] if i >= 0 else w.size}")
                checked += 1
    assert checked >= 3 * 300
