"""numpy reference kernels, bit-exact with tflite-micro's reference kernels.

Each op takes int8 NHWC activations without the batch dim plus the dict
produced by qmodel.prepare() (integers only) and returns int8.
Accumulation is int64 here; TFLM uses int32, which cannot overflow for
models of the sizes we produce (|acc| <= 255*128*K).
"""
import numpy as np

from . import qmath


def _clamp8(x, lo=-128, hi=127):
    return np.clip(np.asarray(x, dtype=np.int64), lo, hi).astype(np.int8)


def _patches(x, p, fill):
    """(OH, OW, KH, KW, C) windows of x (H,W,C); padded cells hold `fill`."""
    h, w, c = x.shape
    kh, kw, sh, sw = p['filter_h'], p['filter_w'], p['stride_h'], p['stride_w']
    oh, ow = p['out_shape'][0], p['out_shape'][1]
    ph, pw = p['pad_h'], p['pad_w']
    # pad generously on both sides; the window arithmetic below picks the cells
    need_h = max((oh - 1) * sh + kh - h - ph, 0)
    need_w = max((ow - 1) * sw + kw - w - pw, 0)
    xp = np.full((h + ph + need_h, w + pw + need_w, c), fill, dtype=np.int64)
    xp[ph:ph + h, pw:pw + w] = x
    iy = (np.arange(oh) * sh)[:, None] + np.arange(kh)[None, :]   # (OH, KH)
    ix = (np.arange(ow) * sw)[:, None] + np.arange(kw)[None, :]   # (OW, KW)
    return xp[iy[:, None, :, None], ix[None, :, None, :]]          # (OH,OW,KH,KW,C)


def _requant(acc, p):
    """Per-channel MultiplyByQuantizedMultiplier + output zp + activation clamp."""
    y = qmath.multiply_by_quantized_multiplier(acc, p['mult'], p['shift']).astype(np.int64)
    return _clamp8(y + p['out_zp'], p['act_min'], p['act_max'])


def _bias(layer_bias, n):
    return np.zeros(n, np.int64) if layer_bias is None else layer_bias.astype(np.int64)


def fully_connected(x, p, weights, bias):
    """y = requant(W (x - zp_in) + b); input is flattened as TFLM does."""
    xv = x.reshape(-1).astype(np.int64) - p['in_zp'][0]
    acc = weights.astype(np.int64) @ xv + _bias(bias, weights.shape[0])
    return _requant(acc, p)


def conv2d(x, p, weights, bias):
    """ConvPerChannel: padded cells contribute 0 (== input zero point)."""
    zp = p['in_zp'][0]
    pt = _patches(x, p, zp) - zp                                   # (OH,OW,KH,KW,I)
    acc = np.einsum('abhwi,ohwi->abo', pt, weights.astype(np.int64))
    acc = acc + _bias(bias, weights.shape[0])
    return _requant(acc, p)


def depthwise_conv2d(x, p, weights, bias):
    """DepthwisePerChannel: output channel oc = ic * depth_multiplier + m."""
    zp = p['in_zp'][0]
    dm = p['depth_multiplier']
    pt = _patches(x, p, zp) - zp                                   # (OH,OW,KH,KW,C)
    pt = np.repeat(pt, dm, axis=-1)                                # (..., C*dm)
    acc = np.einsum('abhwc,hwc->abc', pt, weights[0].astype(np.int64))
    acc = acc + _bias(bias, weights.shape[3])
    return _requant(acc, p)


def average_pool2d(x, p):
    """AveragePool int8: mean over the in-image cells only, rounded half away
    from zero with C integer division; no requantisation."""
    pt = _patches(x, p, 0)
    valid = _patches(np.ones(x.shape[:2] + (1,), np.int64), p, 0)
    s = pt.sum(axis=(2, 3))
    n = valid.sum(axis=(2, 3))
    half = n // 2
    # C '/' truncates toward zero
    q = np.where(s > 0, (s + half) // n, -((-(s - half)) // n))
    return _clamp8(q, p['act_min'], p['act_max'])


def max_pool2d(x, p):
    pt = _patches(x, p, -(1 << 20))
    return _clamp8(pt.max(axis=(2, 3)), p['act_min'], p['act_max'])


def mean_hw(x, p):
    """reference_integer_ops::Mean over H,W (keep_dims): requantise the
    zero-point-corrected sum with a multiplier that already contains 1/N."""
    acc = (x.astype(np.int64) - p['in_zp'][0]).sum(axis=(0, 1))
    acc = qmath.multiply_by_quantized_multiplier(acc, p['mult'], p['shift']).astype(np.int64)
    return _clamp8(acc + p['out_zp']).reshape(1, 1, -1)


def reshape(x, p):
    return x.reshape(p['out_shape'])


def add(x1, x2, p):
    """Integer ADD: both inputs are lifted by 2**20, rescaled to a common
    scale, summed, then rescaled to the output (all double rounding)."""
    ls = np.int64(1) << p['left_shift']
    a = (x1.astype(np.int64) - p['in_zp'][0]) * ls
    b = (x2.astype(np.int64) - p['in_zp'][1]) * ls
    sa = qmath.multiply_by_quantized_multiplier(a, p['input1_multiplier'], p['input1_shift'])
    sb = qmath.multiply_by_quantized_multiplier(b, p['input2_multiplier'], p['input2_shift'])
    raw = qmath.wrap_int32(sa.astype(np.int64) + sb)
    y = qmath.multiply_by_quantized_multiplier(raw, p['output_multiplier'], p['output_shift'])
    return _clamp8(y.astype(np.int64) + p['out_zp'], p['act_min'], p['act_max'])


# ---- gemmlowp fixed point helpers used by the int8 softmax ----------------

def _exp_quarter(a):
    """exp(a) for a in [-1/4, 0), Q0.31 in and out (Taylor series round -1/8)."""
    const_term = 1895147668           # exp(-1/8)
    const_1_3 = 715827883             # 1/3
    x = a.astype(np.int64) + (1 << 28)
    x2 = qmath.srdhm(x, x)
    x3 = qmath.srdhm(x2, x)
    x4 = qmath.srdhm(x2, x2)
    x4_4 = qmath.rdbpot(x4, 2)
    t = qmath.srdhm(x4_4.astype(np.int64) + x3, const_1_3).astype(np.int64) + x2
    t = qmath.rdbpot(t, 1)
    return (const_term + qmath.srdhm(const_term, x + t).astype(np.int64)).astype(np.int32)


def exp_on_negative_values(a, integer_bits=5):
    """gemmlowp exp_on_negative_values for Q(integer_bits).(31-integer_bits) a <= 0."""
    a = np.asarray(a, dtype=np.int64)
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = (a & (quarter - 1)) - quarter
    result = _exp_quarter(qmath.saturating_shift_left(a_mod, integer_bits)).astype(np.int64)
    remainder = a_mod - a
    barrel = [(-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
              (2, 39332535), (3, 720401), (4, 242)]
    for exponent, mult in barrel:
        if integer_bits > exponent:
            bit = (remainder & (1 << (frac + exponent))) != 0
            result = np.where(bit, qmath.srdhm(result, mult), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, qmath.INT32_MAX, result).astype(np.int32)


def one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp Newton-Raphson 1/(1+a), a in Q0.31, result Q0.31."""
    half_den = qmath.rounding_half_sum(a, qmath.INT32_MAX).astype(np.int64)   # Q0.31
    x = 1515870810 + qmath.srdhm(half_den, -1010580540).astype(np.int64)     # Q2.29
    for _ in range(3):
        hd_x = qmath.srdhm(half_den, x).astype(np.int64)                     # Q2.29
        one_minus = (1 << 29) - hd_x
        x = x + qmath.saturating_shift_left(qmath.srdhm(x, one_minus), 2).astype(np.int64)
    return qmath.saturating_shift_left(x, 1)                                 # Q1 -> Q0


def get_reciprocal(x, integer_digits):
    """TFLite GetReciprocal -> (Q0.31 1/x scaled, num_bits_over_unit)."""
    x = np.asarray(x, dtype=np.int64)
    hp1 = qmath.count_leading_zeros_u32(x)
    nbou = integer_digits - hp1
    shifted = qmath.wrap_int32(((x << hp1) & 0xFFFFFFFF) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted), nbou


def softmax(x, p):
    """TFLM int8 softmax (reference_ops::Softmax, 5 integer bits for the
    scaled difference, 12 for the sum of exps); output scale 1/256, zp -128."""
    depth = x.shape[-1]
    xi = x.reshape(-1, depth).astype(np.int64)
    diff = xi - xi.max(axis=1, keepdims=True)
    ok = diff >= p['diff_min']
    scaled = qmath.multiply_by_quantized_multiplier_gt_one(
        diff, p['input_multiplier'], p['input_left_shift'])
    e = exp_on_negative_values(scaled, 5).astype(np.int64)
    e12 = qmath.rdbpot(e, 12).astype(np.int64)                 # Rescale<12>
    sums = qmath.wrap_int32(np.where(ok, e12, 0).sum(axis=1))
    recip, nbou = get_reciprocal(sums, 12)
    prod = qmath.srdhm(recip[:, None], e)
    out = qmath.rdbpot(prod, (nbou + 31 - 8)[:, None]).astype(np.int64) - 128
    out = np.where(ok, np.clip(out, -128, 127), -128)
    return out.astype(np.int8).reshape(x.shape)


def quantize(xf, scale, zp):
    """AffineQuantize float -> int8: float32 divide, std::round, clamp.

    std::round (half away from zero) is done exactly: y - trunc(y) is exact in
    float32, whereas floor(|y| + 0.5) rounds the sum first (0.49999997 + 0.5
    is 1.0 in float32). Exact for |x / scale| < 2**31; beyond that TFLM's
    static_cast<int32_t> is undefined (x86, the oracle: INT32_MIN, so -128),
    while finite quotients saturate here as on the device.
    """
    with np.errstate(over='ignore'):  # a float32 quotient beyond 3.4e38 is inf: it saturates below
        y = np.asarray(xf, np.float32) / np.float32(scale)
    with np.errstate(invalid='ignore'):   # inf - inf: infinities need no rounding
        t = np.trunc(y)
        half = np.abs(y - t) >= np.float32(0.5)
    q = np.where(half, t + np.sign(y), t)
    q = np.clip(q, -2.0 ** 31, 2.0 ** 31)  # huge and infinite quotients saturate, not wrap
    return _clamp8(q.astype(np.int64) + int(zp))


def dequantize(q, scale, zp):
    """(q - zp) * scale in float32, as TFLite's Dequantize."""
    return (np.asarray(q, np.int32) - int(zp)).astype(np.float32) * np.float32(scale)
