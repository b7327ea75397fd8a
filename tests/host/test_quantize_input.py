"""Float input -> int8 on the device == the host reference, bit for bit.

The device quantizes float input ((x - mean) / std / scale, each step rounded
to float32, then std::round and saturation) in viper on float32 bit patterns
(quantize_viper.py) and in its plain twin (quantize.py). Both run here on
quotients next to .5, subnormals, huge values that overflow to infinity,
negative std, float64 input (rounded to float32 first), NaN and infinities;
the expected bytes are microlearn_host.quant.reference.quantize_input's.
"""
import struct

import numpy as np
import pytest

from microlearn_host.quant import ops
from microlearn_host.quant.qmodel import QModel

F = np.float32
SEEDS = range(60)


def _floats(rng, size):
    r = rng.random()
    if r < 0.3:
        return (rng.normal(0, 1, size) * 10 ** rng.uniform(-3, 3, size)).astype(F)
    if r < 0.5:  # any finite float32 bit pattern
        v = rng.integers(0, 2 ** 32, size, dtype=np.uint64).astype(np.uint32).view(F)
        return np.where(np.isfinite(v), v, F(1.0)).astype(F)
    if r < 0.6:  # subnormal territory
        return (rng.normal(0, 1, size) * 1e-38).astype(F)
    return rng.normal(0, 3, size).astype(F)


def _case(rng):
    c = int(rng.integers(1, 5))
    mean, std = _floats(rng, c), _floats(rng, c)
    std[std == 0] = F(1.5)
    scale = F(abs(_floats(rng, 1)[0]))
    if not 1e-30 < scale < 1e30:
        scale = F(0.05)
    zp = int(rng.integers(-128, 128))
    n = c * int(rng.integers(1, 30))
    # quotients on and next to k + 0.5, then some wild values
    y = (rng.integers(-140, 140, n) + F(0.5)).astype(F)
    with np.errstate(all="ignore"):
        x = (y * scale * np.tile(std, n // c) + np.tile(mean, n // c)).astype(F)
    steps = rng.integers(-3, 4, n)
    for i in range(n):
        for _ in range(abs(int(steps[i]))):
            x[i] = np.nextafter(x[i], F(np.inf) if steps[i] > 0 else F(-np.inf))
    x = np.where(rng.random(n) < 0.3, _floats(rng, n), x).astype(F)
    x[~np.isfinite(x)] = F(0)
    xd = x.astype(np.float64)
    if rng.random() < 0.3:  # float64 values between float32s: the device rounds them first
        xd = xd * (1 + rng.normal(0, 1e-7, n))
    if rng.random() < 0.2:
        xd[int(rng.integers(0, n))] = rng.choice([np.nan, np.inf, -np.inf])
    return c, mean, std, scale, zp, xd


def _expected(c, mean, std, scale, zp, xd):
    """What the device must give: reference.quantize_input (x as float32 first)."""
    bad = np.flatnonzero(~np.isfinite(xd))
    if bad.size:
        return "bad %d" % bad[0]
    m = QModel((c,), float(scale), zp, [])
    m.mean, m.std = mean, std
    with np.errstate(all="ignore"):
        x = xd.astype(F)
        y = ((x.reshape(-1, c) - mean) / std).reshape(-1)
        return ops.quantize(y, scale, zp).astype(np.int8).tobytes().hex()


def _record(c, mean, std, scale, zp, xd):
    with np.errstate(all="ignore"):
        x4 = xd.astype("<f4")
    return (struct.pack("<HHhxx", c, len(xd), zp) + np.array([scale], "<f4").tobytes()
            + mean.astype("<f4").tobytes() + std.astype("<f4").tobytes()
            + x4.tobytes() + xd.astype("<f8").tobytes())


def test_cases_include_the_hard_parts():
    cases = [_case(np.random.default_rng([5, s])) for s in SEEDS]
    xs = np.concatenate([c[5] for c in cases])
    assert np.any(np.isnan(xs)) and np.any(np.isinf(xs))
    assert np.any((np.abs(xs) < 1.2e-38) & (xs != 0))
    assert sum(len(c[5]) for c in cases) > 1000


def test_quantize_vs_reference(target, run_device):
    cases = [_case(np.random.default_rng([5, s])) for s in SEEDS]
    res = run_device(target, "quantize_cross.py", files={"cases.bin": b"".join(_record(*c) for c in cases)})
    vals = res.values()
    assert vals.get("cases") == len(cases), res.describe()
    for k, case in enumerate(cases):
        want = _expected(*case)
        for tag in ("v0", "v1", "t0", "t1"):
            got = vals.get("%d %s" % (k, tag))
            w = want  # float32 input holds the same NaN / infinity where float64 does
            if got != w:
                if got and w and not got.startswith("bad") and not w.startswith("bad"):
                    g, e = bytes.fromhex(got), bytes.fromhex(w)
                    i = next(i for i in range(len(e)) if g[i] != e[i])
                    pytest.fail(f"{target}: case {k} {tag}: first difference at element {i}: device "
                                f"{np.int8(g[i] - 256 * (g[i] > 127))} != reference {np.int8(e[i] - 256 * (e[i] > 127))}"
                                f" (x {case[5][i]!r}, channel {i % case[0]})")
                pytest.fail(f"{target}: case {k} {tag}: device {got!r} != reference {w!r}")


def test_huge_quotients_saturate():
    """Beyond int64 the host used to wrap (1e30 gave -128); the device saturates."""
    x = np.array([1e30, -1e30, np.inf, -np.inf, 3e38], F)
    np.testing.assert_array_equal(ops.quantize(x, 1e-3, 5), [127, -128, 127, -128, 127])


def test_streamed_model_quantizes_on_first_use(target, run_device):
    """A streamed model imports quantize at its first float input, not at load; the bytes it
    gives are the host reference's (reference.quantize_input)."""
    from microlearn_host import modelfile
    from microlearn_host.quant import reference
    from microlearn_host.quant.qmodel import QLayer
    rng = np.random.default_rng(3)
    n = 1100
    layer = QLayer("FULLY_CONNECTED", [0], (4,), 0.05, 0, weights=rng.integers(-3, 4, (4, n), dtype=np.int8),
                   bias=np.zeros(4, np.int32), w_scales=np.full(4, 0.01))
    qm = QModel((n,), 0.02, 3, [layer])
    qm.mean, qm.std = np.array([0.25], F), np.array([1.5], F)
    xf = rng.normal(0, 1, n).astype("<f4")
    xq = np.asarray(reference.quantize_input(qm, xf), np.int8).tobytes()
    run_device(target, "lazy_quantize.py", files={  # fails on any failed device check
        "big.mlm": modelfile.write(qm), "xf.bin": xf.tobytes(), "xq.bin": xq})
