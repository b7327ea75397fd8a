# int8 softmax exactly as TFLite Micro's reference kernel (gemmlowp fixed
# point), in plain Python ints. The exp of every possible difference
# (x - max is one of 0..-255 for int8 input) is precomputed on the host and
# stored in the model file, so only the sum, the reciprocal and the final
# rescale happen here. Products of two int32 need more than 32 bits: Python
# ints handle that (on 32-bit boards as heap longints, so this allocates).
# The plain twin of softmax_viper.py (same signature), used where viper is
# missing; kernels.softmax picks one.
from micropython import const

_I32_MIN = const(-2147483648)
_I32_MAX = const(2147483647)
_HALF = const(1073741824)  # 2**30: SaturatingRoundingDoublingHighMul's nudge


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul; C division truncates toward 0."""
    if a == _I32_MIN and b == _I32_MIN:
        return _I32_MAX
    ab = a * b
    if ab >= 0:
        return (ab + _HALF) >> 31
    return -((-(ab + 1 - _HALF)) >> 31)


def rdbpot(x, e):
    """gemmlowp RoundingDivideByPOT: ties away from zero."""
    mask = (1 << e) - 1
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if (x & mask) > thr else 0)


def _sat_shl(x, e):
    x <<= e
    return _I32_MAX if x > _I32_MAX else (_I32_MIN if x < _I32_MIN else x)


def _one_over_one_plus_x(a):
    # Newton-Raphson 1/(1+a) for a in Q0.31 (gemmlowp, three iterations).
    s = a + _I32_MAX
    t = s + (1 if s >= 0 else -1)
    half_den = t // 2 if t >= 0 else -((-t) // 2)
    x = 1515870810 + srdhm(half_den, -1010580540)
    for _ in range(3):
        one_minus = (1 << 29) - srdhm(half_den, x)
        x += _sat_shl(srdhm(x, one_minus), 2)
    return _sat_shl(x, 1)


def reciprocal(x):
    """TFLite GetReciprocal(x, 12 integer digits) -> (Q0.31 value, bits over unit)."""
    clz = 0
    while clz < 32 and not (x << clz) & 0x80000000:
        clz += 1
    shifted = ((x << clz) & 0xFFFFFFFF) - 0x80000000
    return _one_over_one_plus_x(shifted), 12 - clz


def softmax(x, out, p, table):
    """x, out: int8 byte buffers; p = [rows, depth]; table: 256 int32 exps (0 = excluded)."""
    rows, depth = p[0], p[1]
    base = 0
    for _ in range(rows):
        end = base + depth
        mx = 0  # the maximum as a raw byte biased by 128, so comparisons are unsigned
        for i in range(base, end):
            v = x[i] ^ 0x80
            if v > mx:
                mx = v
        s = 0
        for i in range(base, end):
            s += rdbpot(table[mx - (x[i] ^ 0x80)], 12)
        recip, nbou = reciprocal(s)
        sh = nbou + 23  # 31 - 8 output bits
        for i in range(base, end):
            o = rdbpot(srdhm(recip, table[mx - (x[i] ^ 0x80)]), sh) - 128
            out[i] = (127 if o > 127 else o) & 0xFF
        base = end
