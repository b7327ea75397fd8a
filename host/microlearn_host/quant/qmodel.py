"""The shared int8 model IR (QModel / QLayer) and the host-side "prepare" step.

prepare() turns float scales into exactly the integer parameters that
tflite-micro's kernels compute in their Prepare functions, so every engine
(numpy reference, device, file format) can evaluate from integers only.
Scales are rounded to float32 first because .tflite stores them as float32
and TFLM derives its multipliers from those float32 values.
"""
from dataclasses import dataclass, field

import numpy as np

from . import qmath

OPS = ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D',
       'MAX_POOL_2D', 'MEAN', 'RESHAPE', 'ADD', 'SOFTMAX')
ACTS = ('NONE', 'RELU', 'RELU6')
SOFTMAX_OUT_SCALE = 1.0 / 256
SOFTMAX_OUT_ZP = -128


@dataclass
class QLayer:
    op: str              # one of OPS
    inputs: list         # tensor ids: 0 = model input, k = output of layer k-1
    out_shape: tuple     # no batch dim: (H,W,C) for 2-D ops, (N,) for FC output
    out_scale: float
    out_zp: int
    act: str = 'NONE'    # fused 'NONE' | 'RELU' | 'RELU6'
    weights: np.ndarray | None = None   # int8; FC (out,in); CONV (O,KH,KW,I); DW (1,KH,KW,C*mult)
    bias: np.ndarray | None = None      # int32 (out_channels,)
    w_scales: np.ndarray | None = None  # float64 per output channel (symmetric, zp 0)
    opts: dict = field(default_factory=dict)  # stride_h, stride_w, padding, filter_h, filter_w, depth_multiplier, beta


@dataclass
class QModel:
    input_shape: tuple
    input_scale: float
    input_zp: int
    layers: list
    mean: np.ndarray | None = None   # float normalisation of raw input, applied before quantization
    std: np.ndarray | None = None
    class_names: list = field(default_factory=list)


def f32(x):
    """A scale as TFLite sees it: rounded to float32, then widened."""
    return float(np.float32(x))


def quantize_scalar(f, scale, zp):
    """TFLite's in-kernel quantize of a constant: float32 divide, std::round."""
    return int(zp) + int(qmath.tflite_round(np.float32(f) / np.float32(scale)))


def activation_range(act, scale, zp):
    """CalculateActivationRangeQuantized for int8 outputs."""
    lo, hi = -128, 127
    if act == 'RELU':
        lo = max(lo, quantize_scalar(0.0, scale, zp))
    elif act == 'RELU6':
        lo = max(lo, quantize_scalar(0.0, scale, zp))
        hi = min(hi, quantize_scalar(6.0, scale, zp))
    elif act != 'NONE':
        raise ValueError(f"unknown activation {act!r}")
    return lo, hi


def out_size(padding, n, k, stride):
    """ComputeOutSize (dilation 1)."""
    if padding == 'SAME':
        return (n + stride - 1) // stride
    if padding == 'VALID':
        return (n + stride - k) // stride
    raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")


def pad_before(n, k, stride, out):
    """ComputePaddingWithOffset: total padding is split, extra goes after."""
    return max((out - 1) * stride + k - n, 0) // 2


def _window(i, layer, in_shape, kh, kw):
    """Shared stride/padding bookkeeping for conv-like and pooling ops."""
    o = layer.opts
    sh, sw = int(o.get('stride_h', 1)), int(o.get('stride_w', 1))
    padding = o.get('padding', 'VALID')
    if sh < 1 or sw < 1:
        raise ValueError(f"layer {i} ({layer.op}): strides must be >= 1")
    h, w = in_shape[0], in_shape[1]
    oh, ow = out_size(padding, h, kh, sh), out_size(padding, w, kw, sw)
    if oh < 1 or ow < 1:
        raise ValueError(f"layer {i} ({layer.op}): {kh}x{kw} window does not fit "
                         f"input {h}x{w} with padding {padding}")
    return dict(stride_h=sh, stride_w=sw, padding=padding, filter_h=kh, filter_w=kw,
                pad_h=pad_before(h, kh, sh, oh), pad_w=pad_before(w, kw, sw, ow),
                out_hw=(oh, ow))


def _check(cond, i, layer, msg):
    if not cond:
        raise ValueError(f"layer {i} ({layer.op}): {msg}")


def _weights_params(i, layer, in_scale, n_out):
    """Validate weights/bias/w_scales and return per-channel real multipliers."""
    _check(layer.weights is not None and layer.weights.dtype == np.int8, i, layer,
           "weights must be an int8 array")
    _check(layer.w_scales is not None and np.size(layer.w_scales) == n_out, i, layer,
           f"w_scales must have {n_out} entries (one per output channel)")
    ws = np.asarray(layer.w_scales, dtype=np.float64)
    _check(np.all(ws > 0) and np.all(np.isfinite(ws)), i, layer, "w_scales must be > 0")
    if layer.bias is not None:
        _check(layer.bias.dtype == np.int32 and layer.bias.shape == (n_out,), i, layer,
               f"bias must be int32 of shape ({n_out},)")
    ws32 = ws.astype(np.float32).astype(np.float64)
    # Double-precision products of the float32 scales, per channel. This holds
    # for FC with a single (per-tensor) scale too: measured against
    # tflite-micro, a float32 product in_scale*w_scale gives +-1 errors.
    real = f32(in_scale) * ws32 / f32(layer.out_scale)
    return qmath.quantize_multiplier_array(real)


def prepare(model):
    """Validate a QModel and compute the integer parameters of every layer.

    Returns one dict per layer with at least: op, inputs, in_shapes,
    out_shape, in_zp (list, one per input), out_zp, act_min, act_max.
    """
    shapes = [tuple(int(d) for d in model.input_shape)]
    scales = [f32(model.input_scale)]
    zps = [int(model.input_zp)]
    if not -128 <= zps[0] <= 127:
        raise ValueError("model input zero point must be in [-128, 127]")
    if not scales[0] > 0:
        raise ValueError("model input scale must be > 0")
    params = []
    for i, L in enumerate(model.layers):
        _check(L.op in OPS, i, L, f"unsupported op (expected one of {OPS})")
        n_in = 2 if L.op == 'ADD' else 1
        _check(len(L.inputs) == n_in, i, L, f"expects {n_in} input(s), got {len(L.inputs)}")
        for t in L.inputs:
            _check(isinstance(t, (int, np.integer)) and 0 <= t <= i, i, L,
                   f"input tensor id {t} is not the model input or an earlier layer")
        _check(-128 <= int(L.out_zp) <= 127, i, L, "out_zp must be in [-128, 127]")
        _check(L.out_scale > 0 and np.isfinite(L.out_scale), i, L, "out_scale must be > 0")
        _check(L.act in ACTS, i, L, f"activation must be one of {ACTS}")
        in_shapes = [shapes[t] for t in L.inputs]
        in_scale, in_zp = scales[L.inputs[0]], zps[L.inputs[0]]
        s = in_shapes[0]
        out_shape = tuple(int(d) for d in L.out_shape)
        act_min, act_max = activation_range(L.act, f32(L.out_scale), int(L.out_zp))
        _check(act_min <= act_max, i, L, "fused activation range is empty at this output scale")
        p = dict(op=L.op, inputs=list(L.inputs), in_shapes=in_shapes, out_shape=out_shape,
                 in_zp=[zps[t] for t in L.inputs], out_zp=int(L.out_zp),
                 act_min=act_min, act_max=act_max)
        op = L.op
        if op == 'FULLY_CONNECTED':
            _check(L.weights is not None and L.weights.ndim == 2, i, L, "weights must be (out, in)")
            n_out, n_inp = L.weights.shape
            _check(int(np.prod(s)) == n_inp, i, L,
                   f"input has {int(np.prod(s))} elements, weights expect {n_inp}")
            expect = (n_out,)
            p['mult'], p['shift'] = _weights_params(i, L, in_scale, n_out)
        elif op in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            _check(len(s) == 3, i, L, f"input must be (H,W,C), got {s}")
            _check(L.weights is not None and L.weights.ndim == 4, i, L, "weights must be 4-D")
            o_, kh, kw, i_ = L.weights.shape
            if op == 'CONV_2D':
                _check(i_ == s[2], i, L, f"weights expect {i_} input channels, input has {s[2]}")
                n_out = o_
            else:
                dm = int(L.opts.get('depth_multiplier', 1))
                _check(o_ == 1 and i_ == s[2] * dm, i, L,
                       f"depthwise weights must be (1,KH,KW,{s[2]}*{dm}), got {L.weights.shape}")
                n_out = i_
                p['depth_multiplier'] = dm
            p.update(_window(i, L, s, kh, kw))
            expect = p.pop('out_hw') + (n_out,)
            p['mult'], p['shift'] = _weights_params(i, L, in_scale, n_out)
        elif op in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
            _check(len(s) == 3, i, L, f"input must be (H,W,C), got {s}")
            # TFLM pooling never requantises: output shares the input's quantisation.
            _check(f32(L.out_scale) == in_scale and int(L.out_zp) == in_zp, i, L,
                   "pooling output scale/zero point must equal the input's")
            kh, kw = int(L.opts.get('filter_h', 0)), int(L.opts.get('filter_w', 0))
            _check(kh >= 1 and kw >= 1, i, L, "opts filter_h/filter_w must be >= 1")
            p.update(_window(i, L, s, kh, kw))
            expect = p.pop('out_hw') + (s[2],)
        elif op == 'MEAN':
            # Axes [1,2] with keep_dims: TFLM's reference_integer_ops::Mean. It
            # takes QuantizeMultiplier(in_scale / out_scale) and folds the
            # division by the element count into it (truncating int64
            # division); there is no separate rounded division.
            # keep_dims=False (Keras' GlobalAveragePooling2D) computes the same and
            # gives (C,) instead of (1, 1, C).
            _check(len(s) == 3, i, L, f"input must be (H,W,C), got {s}")
            expect = (s[2],) if len(out_shape) == 1 else (1, 1, s[2])
            m, sh = qmath.quantize_multiplier(in_scale / f32(L.out_scale))
            n = s[0] * s[1]
            k = min(n.bit_length() - 1, 32, 31 + sh)
            p['mult'], p['shift'] = int((m << k) // n), sh - k
            p['num_elements'] = n
            _check(L.act == 'NONE', i, L, "MEAN has no fused activation")
        elif op == 'RESHAPE':
            _check(f32(L.out_scale) == in_scale and int(L.out_zp) == in_zp, i, L,
                   "reshape output scale/zero point must equal the input's")
            _check(int(np.prod(out_shape)) == int(np.prod(s)), i, L,
                   f"cannot reshape {s} to {out_shape}")
            _check(L.act == 'NONE', i, L, "RESHAPE has no fused activation")
            expect = out_shape
        elif op == 'ADD':
            _check(in_shapes[0] == in_shapes[1], i, L,
                   f"input shapes differ ({in_shapes[0]} vs {in_shapes[1]}); no broadcasting")
            s1, s2 = scales[L.inputs[0]], scales[L.inputs[1]]
            p['left_shift'] = 20
            twice_max = 2 * max(s1, s2)
            real_out = twice_max / ((1 << 20) * f32(L.out_scale))
            _check(real_out < 1, i, L, "output scale too small for ADD (multiplier must be < 1)")
            p['input1_multiplier'], p['input1_shift'] = qmath.quantize_multiplier(s1 / twice_max)
            p['input2_multiplier'], p['input2_shift'] = qmath.quantize_multiplier(s2 / twice_max)
            p['output_multiplier'], p['output_shift'] = qmath.quantize_multiplier(real_out)
            expect = s
        elif op == 'SOFTMAX':
            _check(f32(L.out_scale) == f32(SOFTMAX_OUT_SCALE) and int(L.out_zp) == SOFTMAX_OUT_ZP,
                   i, L, "int8 softmax output must have scale 1/256 and zero point -128")
            _check(L.act == 'NONE', i, L, "SOFTMAX has no fused activation")
            beta = f32(L.opts.get('beta', 1.0))
            p['beta'] = beta
            # PreprocessSoftmaxScaling with 5 integer bits, then CalculateInputRadius.
            real = min(beta * in_scale * (1 << 26), (1 << 31) - 1.0)
            _check(real > 1, i, L, "beta * input_scale too small (needs > 2**-26)")
            p['input_multiplier'], p['input_left_shift'] = qmath.quantize_multiplier(real)
            radius = 1.0 * ((1 << 5) - 1) * (1 << 26) / (1 << p['input_left_shift'])
            p['diff_min'] = -int(np.floor(radius))
            expect = s
        if out_shape != tuple(expect):
            raise ValueError(f"layer {i} ({op}): out_shape {out_shape} but the op "
                             f"produces {tuple(expect)}")
        shapes.append(out_shape)
        scales.append(f32(L.out_scale))
        zps.append(int(L.out_zp))
        params.append(p)
    return params
