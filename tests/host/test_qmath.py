"""TFLite integer math vs. hand-derived values and exact big-int/rational arithmetic."""
import math
from fractions import Fraction

import numpy as np
import pytest

from microlearn_host.quant import ops, qmath

IMIN, IMAX = -(1 << 31), (1 << 31) - 1


# ---- independent definitions (exact rationals, no bit tricks) --------------

def ref_srdhm(a, b):
    if a == b == IMIN:
        return IMAX
    return math.floor(Fraction(a * b, 1 << 31) + Fraction(1, 2))


def ref_rdbpot(x, e):
    v = Fraction(x, 1 << e)   # round half away from zero
    r = math.floor(abs(v) + Fraction(1, 2))
    return r if v >= 0 else -r


def ref_quantize_multiplier(real):
    if real == 0:
        return 0, 0
    fr = Fraction(real)
    shift = math.floor(math.log2(abs(real))) + 1
    while abs(fr) / Fraction(2) ** shift >= 1:
        shift += 1
    while abs(fr) / Fraction(2) ** shift < Fraction(1, 2):
        shift -= 1
    q = fr / Fraction(2) ** shift * (1 << 31)
    qi = math.floor(abs(q) + Fraction(1, 2)) * (1 if q >= 0 else -1)
    if qi == 1 << 31:
        qi, shift = qi // 2, shift + 1
    if shift < -31:
        return 0, 0
    return qi, shift


def wrap32(v):
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def ref_mbqm(x, m, s):
    left, right = max(s, 0), max(-s, 0)
    return ref_rdbpot(ref_srdhm(wrap32(x * (1 << left)), m), right)


# ---- hand-derived values ----------------------------------------------------

@pytest.mark.parametrize("real, expect", [
    (0.0, (0, 0)),
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.75, (1610612736, 0)),
    (3.0, (1610612736, 2)),
    (2.0 ** -31, (1 << 30, -30)),
    (2.0 ** -32, (1 << 30, -31)),       # smallest representable shift
    (2.0 ** -33, (0, 0)),               # shift -32 -> flushed to zero
    (1.0 - 2.0 ** -40, (1 << 30, 1)),   # rounds up to 2**31 -> halved
    (0.3, (1288490189, -1)),
])
def test_quantize_multiplier_hand(real, expect):
    assert qmath.quantize_multiplier(real) == expect


def test_quantize_multiplier_vs_rational():
    rng = np.random.default_rng(1)
    reals = np.concatenate([10 ** rng.uniform(-11, 4, 400), 2.0 ** rng.integers(-34, 10, 50)])
    for r in reals:
        assert qmath.quantize_multiplier(float(r)) == ref_quantize_multiplier(float(r)), r
    m, s = qmath.quantize_multiplier_array(reals[:10])
    assert m.dtype == np.int32 and [(int(a), int(b)) for a, b in zip(m, s)] == \
        [qmath.quantize_multiplier(float(r)) for r in reals[:10]]


def test_srdhm_saturation_and_extremes():
    assert qmath.srdhm(IMIN, IMIN) == IMAX
    assert qmath.srdhm(IMIN, IMAX) == -IMAX
    assert qmath.srdhm(IMAX, IMAX) == IMAX - 1
    assert qmath.srdhm(IMIN, 1 << 30) == -(1 << 30)
    # ties: +0.5 -> 1, -0.5 -> 0 (the nudge rounds half toward +inf)
    assert qmath.srdhm(1 << 15, 1 << 15) == 1
    assert qmath.srdhm(-(1 << 15), 1 << 15) == 0
    assert qmath.srdhm(-3 * (1 << 15), 1 << 15) == -1
    out = qmath.srdhm(np.array([IMIN, 5]), np.array([IMIN, 7]))
    assert out.dtype == np.int32 and out.tolist() == [IMAX, 0]


def test_srdhm_vs_rational():
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.integers(IMIN, IMAX, 3000, endpoint=True),
                        [IMIN, IMAX, 0, -1, 1, IMIN + 1]])
    b = np.concatenate([rng.integers(IMIN, IMAX, 3000, endpoint=True),
                        [IMIN, IMIN, IMIN, IMAX, IMAX, IMIN + 1]])
    got = qmath.srdhm(a, b)
    for x, y, g in zip(a.tolist(), b.tolist(), got.tolist()):
        assert g == ref_srdhm(x, y), (x, y)


@pytest.mark.parametrize("x, e, expect", [
    (3, 1, 2), (-3, 1, -2), (5, 1, 3), (-5, 1, -3), (1, 1, 1), (-1, 1, -1),
    (-2, 2, -1), (2, 2, 1), (-6, 2, -2), (7, 0, 7),
    (IMIN, 31, -1), (IMAX, 31, 1), (-(1 << 30), 31, -1), (1 << 30, 31, 1),
    ((1 << 30) - 1, 31, 0), (-(1 << 30) + 1, 31, 0),
])
def test_rdbpot_hand(x, e, expect):
    assert qmath.rdbpot(x, e) == expect


def test_rdbpot_vs_rational():
    rng = np.random.default_rng(3)
    x = rng.integers(IMIN, IMAX, 4000, endpoint=True)
    e = rng.integers(0, 32, 4000)
    got = qmath.rdbpot(x, e)
    for xi, ei, g in zip(x.tolist(), e.tolist(), got.tolist()):
        assert g == ref_rdbpot(xi, ei), (xi, ei)
    with pytest.raises(ValueError):
        qmath.rdbpot(1, 32)


def test_mbqm_vs_rational_and_real():
    rng = np.random.default_rng(4)
    acc = rng.integers(-(1 << 24), 1 << 24, 3000)
    reals = 10 ** rng.uniform(-10, 0.9, 3000)
    pairs = [qmath.quantize_multiplier(float(r)) for r in reals]
    m = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs])
    got = qmath.multiply_by_quantized_multiplier(acc, m, s)
    assert got.dtype == np.int32
    for a, mi, si, r, g in zip(acc.tolist(), m.tolist(), s.tolist(), reals, got.tolist()):
        assert g == ref_mbqm(a, mi, si), (a, mi, si)
        if mi:  # double rounding stays within 1 of the real product
            assert abs(g - a * mi * 2.0 ** (si - 31)) <= 1.0


def test_mbqm_extreme_shifts_and_per_channel_broadcast():
    # shift -31: IMAX * 2**-32 = 0.49999... but double rounding gives 1
    # (srdhm rounds to exactly 2**30, then RoundingDivideByPOT rounds 0.5 up).
    m, s = qmath.quantize_multiplier(2.0 ** -32)
    assert (m, s) == (1 << 30, -31)
    assert qmath.multiply_by_quantized_multiplier(IMAX, m, s) == ref_mbqm(IMAX, m, s) == 1
    assert qmath.multiply_by_quantized_multiplier((1 << 30) - 1, m, s) == 0
    assert qmath.multiply_by_quantized_multiplier(IMIN, m, s) == ref_mbqm(IMIN, m, s) == -1
    # left shift that overflows int32 wraps like the compiled C++
    assert qmath.multiply_by_quantized_multiplier(1 << 30, 1 << 30, 3) == ref_mbqm(1 << 30, 1 << 30, 3)
    # per-channel parameters broadcast over the last axis
    acc = np.arange(-6, 6).reshape(4, 3) * 1000
    mult = np.array([1 << 30, 1610612736, 0])
    shift = np.array([0, -3, 0])
    got = qmath.multiply_by_quantized_multiplier(acc, mult, shift)
    exp = [[ref_mbqm(int(a), int(mult[j]), int(shift[j])) for j, a in enumerate(row)] for row in acc]
    assert got.tolist() == exp


def test_quantize_rounds_half_away_and_clamps():
    q = ops.quantize(np.array([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1e9, -1e9], np.float32), 1.0, 0)
    assert q.tolist() == [1, -1, 2, -2, 3, -3, 127, -128]
    assert ops.quantize(np.array([0.0]), 0.1, -128).tolist() == [-128]
    assert ops.dequantize(np.array([-128, 0, 127], np.int8), 0.5, -128).tolist() == [0.0, 64.0, 127.5]


def test_misc_helpers():
    assert qmath.count_leading_zeros_u32(np.array([0, 1, 2, IMAX, 1 << 31])).tolist() == [32, 31, 30, 1, 0]
    assert qmath.rounding_half_sum(IMAX, IMAX) == IMAX
    assert qmath.rounding_half_sum(-3, 0) == -2
    assert qmath.rounding_half_sum(3, 0) == 2
    assert qmath.saturating_shift_left(np.array([1 << 29, -(1 << 29) - 1]), 2).tolist() == [IMAX, IMIN]
