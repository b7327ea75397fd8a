"""TFLite / TFLite-Micro integer arithmetic in vectorised numpy.

Everything is computed in int64 and returned as int32 so that numpy never
silently wraps; where the C++ reference *does* wrap (an int32 multiply by
1 << left_shift) we wrap explicitly, because that is what the compiled
oracle (PyPI tflite-micro, x86-64) does.

tflite-micro is built WITHOUT TFLITE_SINGLE_ROUNDING, so requantisation is
the "double rounding" form: SaturatingRoundingDoublingHighMul followed by
RoundingDivideByPOT, and QuantizeMultiplier does not clamp shift to 30.
"""
import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def wrap_int32(x):
    """Two's-complement wrap of int64 values to int32 (C++ int32 overflow)."""
    x = _i64(x)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def tflite_round(x):
    """std::round: half away from zero (numpy's round is half-to-even)."""
    x = np.asarray(x)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier(double) -> (int32 multiplier, int shift).

    real == multiplier * 2**(shift - 31); multiplier in [2**30, 2**31).
    Multipliers below ~2**-31 (shift < -31) are flushed to (0, 0) as TFLite
    does. No upper clamp: that only exists under TFLITE_SINGLE_ROUNDING.
    """
    real = float(real)
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise ValueError(f"multiplier must be finite, got {real}")
    q, shift = math.frexp(real)  # same as std::frexp: q in [0.5, 1)
    q_fixed = int(tflite_round(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if q_fixed > INT32_MAX:  # cannot happen after the fix-up; TFLite CHECKs it
        raise ValueError(f"multiplier {real} not representable")
    return int(q_fixed), int(shift)


def quantize_multiplier_array(reals):
    """Per-channel QuantizeMultiplier -> (int32 array, int32 array)."""
    pairs = [quantize_multiplier(r) for r in np.ravel(reals)]
    m = np.array([p[0] for p in pairs], dtype=np.int32)
    s = np.array([p[1] for p in pairs], dtype=np.int32)
    return m, s


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul (elementwise, broadcasts).

    floor(a*b / 2**31 + 1/2): the nudge plus C's truncating division rounds
    ties toward +inf (for either sign), and INT32_MIN*INT32_MIN saturates
    to INT32_MAX.
    """
    a = _i64(a)
    b = _i64(b)
    overflow = (a == b) & (a == INT32_MIN)
    ab = a * b  # |ab| <= 2**62: fits int64
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C++ '/' truncates toward zero; numpy '//' floors, so fix the sign.
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where(overflow, INT32_MAX, q).astype(np.int32)


def rdbpot(x, exponent):
    """gemmlowp RoundingDivideByPOT: x / 2**exponent rounded half away from 0.

    Negative values round ties away from zero thanks to the +1 threshold.
    """
    x = _i64(x)
    e = _i64(exponent)
    if np.any((e < 0) | (e > 31)):
        raise ValueError("RoundingDivideByPOT exponent must be in [0, 31]")
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return ((x >> e) + (remainder > threshold).astype(np.int64)).astype(np.int32)


def multiply_by_quantized_multiplier(acc, mult, shift):
    """TFLM reference MultiplyByQuantizedMultiplier (double rounding).

    left_shift is applied as an int32 multiply, which wraps in the compiled
    oracle when acc * 2**shift leaves int32; we reproduce that wrap.
    """
    acc = _i64(acc)
    shift = _i64(shift)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap_int32(acc * (np.int64(1) << left))
    return rdbpot(srdhm(shifted, mult), right)


def multiply_by_quantized_multiplier_gt_one(x, mult, left_shift):
    """MultiplyByQuantizedMultiplierGreaterThanOne (softmax input scaling)."""
    x = _i64(x)
    return srdhm(wrap_int32(x * (np.int64(1) << _i64(left_shift))), mult)


def saturating_shift_left(x, exponent):
    """gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent."""
    y = _i64(x) << exponent
    return np.clip(y, INT32_MIN, INT32_MAX).astype(np.int32)


def rounding_half_sum(a, b):
    """gemmlowp RoundingHalfSum for int32: (a + b + sign) / 2, truncating."""
    s = _i64(a) + _i64(b)
    t = s + np.where(s >= 0, 1, -1)
    return np.where(t >= 0, t // 2, -((-t) // 2)).astype(np.int32)


def count_leading_zeros_u32(x):
    """CountLeadingZeros of a uint32 (32 for 0)."""
    x = _i64(x) & 0xFFFFFFFF
    out = np.full(x.shape, 32, dtype=np.int64)
    nz = x > 0
    # floor(log2) via frexp is exact for integers < 2**53
    _, e = np.frexp(x[nz].astype(np.float64))
    out[nz] = 32 - e
    return out
