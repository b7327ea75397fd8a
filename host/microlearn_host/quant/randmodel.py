"""Random valid QModels for cross-testing engines against each other.

Effective requantisation multipliers are drawn directly (then w_scales are
derived from them) so that extreme cases -- flushed-to-zero tiny multipliers,
shifts near -31, multipliers > 1 -- are exercised on purpose.
Zero points include the extremes -128/127.
"""
import numpy as np

from .qmodel import QLayer, QModel, SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP

OPS = ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D',
       'MAX_POOL_2D', 'MEAN', 'RESHAPE', 'ADD', 'SOFTMAX')


def _zp(rng):
    r = rng.random()
    if r < 0.15:
        return -128
    if r < 0.25:
        return 127
    if r < 0.35:
        return 0
    return int(rng.integers(-128, 128))


def _scale(rng, lo=-3.0, hi=0.0):
    return float(10 ** rng.uniform(lo, hi))


def _act(rng):
    return str(rng.choice(['NONE', 'NONE', 'RELU', 'RELU6']))


def _multipliers(rng, n, k):
    """Per-channel effective multipliers in_scale*w_scale/out_scale."""
    typical = 1.0 / (np.sqrt(k) * 250.0)   # output std ~ 20 LSB
    m = typical * 10 ** rng.uniform(-0.7, 0.7, size=n)
    mode = rng.random()
    if mode < 0.2:   # sprinkle extremes into some channels
        pick = rng.random(n) < 0.5
        extremes = np.array([2.0 ** -33, 2.0 ** -31.2, 2.0 ** -30.6, 2.0 ** -24,
                             0.4999999, 0.5, 1.0, 1.7, 3.9])
        m = np.where(pick, rng.choice(extremes, size=n), m)
    elif mode < 0.3:  # everything > 1 (saturating outputs, left shifts)
        m = 10 ** rng.uniform(0.0, 0.9, size=n)
    return m


def _weighted(rng, op, in_shape, in_scale):
    """A FC / CONV / DW layer with random geometry on an input of in_shape."""
    out_scale, out_zp = _scale(rng), _zp(rng)
    if op == 'FULLY_CONNECTED':
        k = int(np.prod(in_shape))
        n = int(rng.integers(1, 24))
        w = rng.integers(-127, 128, size=(n, k), dtype=np.int64).astype(np.int8)
        opts, shape = {}, (n,)
    else:
        h, wd, c = in_shape
        kh, kw = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(wd, 4) + 1))
        pad = str(rng.choice(['SAME', 'VALID']))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        opts = dict(stride_h=sh, stride_w=sw, padding=pad)
        if pad == 'SAME':
            oh, ow = -(-h // sh), -(-wd // sw)
        else:
            oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
        if op == 'CONV_2D':
            n = int(rng.integers(1, 9))
            w = rng.integers(-127, 128, size=(n, kh, kw, c), dtype=np.int64).astype(np.int8)
            k = kh * kw * c
        else:
            dm = int(rng.choice([1, 1, 2, 3]))
            n = c * dm
            opts['depth_multiplier'] = dm
            w = rng.integers(-127, 128, size=(1, kh, kw, n), dtype=np.int64).astype(np.int8)
            k = kh * kw
        shape = (oh, ow, n)
    m = _multipliers(rng, n, k)
    w_scales = m * out_scale / in_scale
    bias = rng.integers(-20000, 20000, size=n).astype(np.int32)
    if rng.random() < 0.1:
        bias = rng.choice([-(1 << 24), 1 << 24], size=n).astype(np.int32)
    return QLayer(op, [0], shape, out_scale, out_zp, _act(rng), w, bias, w_scales, opts)


def _pool(rng, op, in_shape, in_scale, in_zp):
    h, w, c = in_shape
    kh, kw = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1))
    pad = str(rng.choice(['SAME', 'VALID']))
    sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if pad == 'SAME':
        oh, ow = -(-h // sh), -(-w // sw)
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    opts = dict(stride_h=sh, stride_w=sw, padding=pad, filter_h=kh, filter_w=kw)
    return QLayer(op, [0], (oh, ow, c), in_scale, in_zp, _act(rng), opts=opts)


def random_layer_model(rng, op):
    """A model whose last layer is `op` (ADD gets a 1x1 depthwise helper
    layer first so that its two inputs have different quantisation)."""
    in_scale, in_zp = _scale(rng), _zp(rng)
    h, w, c = (int(v) for v in rng.integers(1, 9, size=3))
    in_shape = (h, w, c)
    if op == 'FULLY_CONNECTED':
        in_shape = (int(rng.integers(1, 40)),) if rng.random() < 0.6 else in_shape
        layers = [_weighted(rng, op, in_shape, in_scale)]
    elif op in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
        layers = [_weighted(rng, op, in_shape, in_scale)]
    elif op in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
        layers = [_pool(rng, op, in_shape, in_scale, in_zp)]
    elif op == 'MEAN':
        out_scale = in_scale if rng.random() < 0.3 else in_scale * 10 ** rng.uniform(-0.7, 1.0)
        out_zp = in_zp if rng.random() < 0.3 else _zp(rng)
        layers = [QLayer('MEAN', [0], (1, 1, c), out_scale, out_zp)]
    elif op == 'RESHAPE':
        n = h * w * c
        new = (n,) if rng.random() < 0.5 else (w, h, c)
        layers = [QLayer('RESHAPE', [0], new, in_scale, in_zp)]
    elif op == 'ADD':
        s2 = in_scale * 10 ** rng.uniform(-1.5, 1.5)
        helper = QLayer('DEPTHWISE_CONV_2D', [0], in_shape, s2, _zp(rng),
                        weights=rng.integers(-127, 128, size=(1, 1, 1, c)).astype(np.int8),
                        bias=rng.integers(-500, 500, size=c).astype(np.int32),
                        w_scales=10 ** rng.uniform(-1.5, 0, size=c) * s2 / in_scale / 60,
                        opts=dict(depth_multiplier=1, padding='VALID'))
        big = max(in_scale, s2)
        out_scale = big * 10 ** rng.uniform(-0.5, 1.0)
        if rng.random() < 0.15:
            out_scale = big * 2.0 ** -18   # near the multiplier < 1 limit
        pair = [0, 1] if rng.random() < 0.5 else [1, 0]
        layers = [helper, QLayer('ADD', pair, in_shape, out_scale, _zp(rng), _act(rng))]
    elif op == 'SOFTMAX':
        in_scale = _scale(rng, -3.0, 0.7)
        in_shape = (int(rng.integers(1, 33)),) if rng.random() < 0.6 else in_shape
        beta = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.1, 3.0))
        layers = [QLayer('SOFTMAX', [0], in_shape, SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP,
                         opts=dict(beta=beta))]
    else:
        raise ValueError(f"unknown op {op}")
    return QModel(in_shape, in_scale, in_zp, layers)


def _chain(rng, model, layer):
    """Append `layer`, re-targeting its input to the current last tensor."""
    layer.inputs = [len(model.layers)]
    model.layers.append(layer)
    return layer


def random_small_model(rng):
    """A short conv or MLP network ending in SOFTMAX (sometimes with a residual ADD)."""
    in_scale, in_zp = _scale(rng), _zp(rng)
    if rng.random() < 0.35:   # MLP
        shape = (int(rng.integers(2, 40)),)
        m = QModel(shape, in_scale, in_zp, [])
        cur_shape, cur_scale = shape, in_scale
        for _ in range(int(rng.integers(1, 4))):
            L = _chain(rng, m, _weighted(rng, 'FULLY_CONNECTED', cur_shape, cur_scale))
            cur_shape, cur_scale = L.out_shape, L.out_scale
    else:
        shape = tuple(int(v) for v in rng.integers(3, 10, size=2)) + (int(rng.integers(1, 5)),)
        m = QModel(shape, in_scale, in_zp, [])
        cur_shape, cur_scale, cur_zp = shape, in_scale, in_zp
        for _ in range(int(rng.integers(1, 4))):
            r = rng.random()
            if r < 0.4:
                L = _weighted(rng, 'CONV_2D', cur_shape, cur_scale)
            elif r < 0.65:
                L = _weighted(rng, 'DEPTHWISE_CONV_2D', cur_shape, cur_scale)
            elif r < 0.8:
                L = _pool(rng, str(rng.choice(['AVERAGE_POOL_2D', 'MAX_POOL_2D'])),
                          cur_shape, cur_scale, cur_zp)
            else:   # residual: depthwise 1x1 then ADD with its own input
                src = len(m.layers)
                L = _weighted(rng, 'DEPTHWISE_CONV_2D', cur_shape, cur_scale)
                L.opts.update(stride_h=1, stride_w=1, padding='SAME')
                c = cur_shape[2]
                L.weights = L.weights[:, :1, :1, :c]
                L.w_scales, L.bias = L.w_scales[:c], L.bias[:c]
                L.opts['depth_multiplier'] = 1
                L.out_shape = cur_shape
                _chain(rng, m, L)
                big = max(cur_scale, L.out_scale)
                L = QLayer('ADD', [src, src + 1], cur_shape, big * 10 ** rng.uniform(0, 0.7),
                           _zp(rng), _act(rng))
                m.layers.append(L)
                cur_shape, cur_scale, cur_zp = L.out_shape, L.out_scale, L.out_zp
                continue
            _chain(rng, m, L)
            cur_shape, cur_scale, cur_zp = L.out_shape, L.out_scale, L.out_zp
        if rng.random() < 0.5:
            L = _chain(rng, m, QLayer('MEAN', [0], (1, 1, cur_shape[2]),
                                      cur_scale * 10 ** rng.uniform(-1, 0.5), _zp(rng)))
        else:
            n = int(np.prod(cur_shape))
            L = _chain(rng, m, QLayer('RESHAPE', [0], (n,), cur_scale, cur_zp))
        cur_shape, cur_scale = L.out_shape, L.out_scale
        L = _chain(rng, m, _weighted(rng, 'FULLY_CONNECTED', cur_shape, cur_scale))
        cur_shape, cur_scale = L.out_shape, L.out_scale
    _chain(rng, m, QLayer('SOFTMAX', [0], cur_shape, SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP,
                          opts=dict(beta=1.0)))
    return m


def random_input(rng, model, saturate=0.1):
    """int8 input; a fraction of entries forced to -128/127."""
    x = rng.integers(-128, 128, size=model.input_shape).astype(np.int8)
    sat = rng.random(x.shape) < saturate
    x[sat] = rng.choice(np.array([-128, 127], np.int8), size=int(sat.sum()))
    return x
