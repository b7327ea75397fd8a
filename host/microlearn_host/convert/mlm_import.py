""".mlm bytes -> QModel: the inverse of modelfile.write, so host tools (eval) take an .mlm.

The file keeps integers (multipliers, folded biases), not the float scales a QModel
holds. Each float32 scale is recovered as the float32 next to the value the
multiplier implies for which prepare() gives back exactly the stored multiplier,
and the rebuilt model must write exactly the same bytes: anything else is refused.
"""
import numpy as np

from .. import modelfile
from ..quant import qmath
from ..quant.qmodel import QLayer, QModel, activation_range, f32, out_size

_ULPS = (0, -1, 1, -2, 2, -3, 3)


def _scale_for(real_of, mult, shift, what):
    """The float32 s with quantize_multiplier(real_of(s)) == (mult, shift)."""
    if (mult, shift) != (0, 0) and not (1 << 30 <= mult < 1 << 31 and -31 <= shift <= 31):
        raise ValueError(f"{what}: multiplier {mult}, shift {shift} out of range")
    # TFLite flushes multipliers below 2**-31 to (0, 0): any scale that small will do.
    target = mult * 2.0 ** (shift - 31) if mult else 2.0 ** -34
    s0 = np.float32(target / real_of(1.0))
    for k in _ULPS:
        s = s0
        for _ in range(abs(k)):
            s = np.nextafter(s, np.float32(np.inf if k > 0 else 0), dtype=np.float32)
        if s > 0 and qmath.quantize_multiplier(real_of(float(s))) == (mult, shift):
            return float(s)
    raise ValueError(f"{what}: multiplier {mult}, shift {shift} matches no float32 scale")


def _act(i, op, amin, amax, scale, zp):
    for act in ('NONE', 'RELU', 'RELU6'):
        if activation_range(act, scale, zp) == (amin, amax):
            return act
    raise ValueError(f"layer {i} ({op}): activation range [{amin}, {amax}] is none of "
                     f"NONE, RELU, RELU6")


def _padding(h, w, k_h, k_w, s_h, s_w, oh, ow):
    valid = out_size('VALID', h, k_h, s_h) == oh and out_size('VALID', w, k_w, s_w) == ow
    return 'VALID' if valid else 'SAME'


def _weights_layer(i, rec, L, tens, in_t):
    op, p, blob = rec['op'], rec['p'], rec['blob']
    s = tens[in_t]['shape']
    if op == 'FULLY_CONNECTED':
        n_in, n_out = p[0], p[1]
        shape = (n_out, n_in)
    else:
        ph, pw, c, oh, ow, third, kh, kw, sh, sw = p[:10]
        n_out = third if op == 'CONV_2D' else c * third
        shape = (third, kh, kw, c) if op == 'CONV_2D' else (1, kh, kw, n_out)
        L.opts = dict(stride_h=sh, stride_w=sw, padding=_padding(s[0], s[1], kh, kw, sh, sw, oh, ow))
        if op == 'DEPTHWISE_CONV_2D':
            L.opts['depth_multiplier'] = third
    nw = int(np.prod(shape))
    pos = (nw + 3) & ~3
    if len(blob) != pos + 12 * n_out:
        raise ValueError(f"layer {i} ({op}): blob of {len(blob)} bytes, expected {pos + 12 * n_out}")
    L.weights = np.frombuffer(blob, np.int8, nw).reshape(shape).copy()
    bias_f, mult, shift = np.frombuffer(blob, '<i4', 3 * n_out, pos).astype(np.int64).reshape(3, -1)
    w2d = L.weights.astype(np.int64).reshape(n_out, -1) if op != 'DEPTHWISE_CONV_2D' else \
        L.weights.astype(np.int64).reshape(-1, n_out).T
    L.bias = (bias_f + rec['in_zp'][0] * w2d.sum(axis=1)).astype(np.int32)
    in_s, out_s = f32(tens[in_t]['scale']), f32(L.out_scale)
    L.w_scales = np.array([_scale_for(lambda w: in_s * w / out_s, int(m), int(sh_),
                                      f"layer {i} ({op}) channel {o}")
                           for o, (m, sh_) in enumerate(zip(mult, shift))])


def to_qmodel(data):
    """QModel of .mlm bytes (ValueError when the file is not exactly what write() makes)."""
    try:
        return _to_qmodel(bytes(data))
    except (IndexError, KeyError, TypeError, OverflowError, ZeroDivisionError) as e:
        raise ValueError(f"inconsistent model file ({type(e).__name__}: {e})") from None


def _to_qmodel(data):
    rec = modelfile.read(data)
    tens = rec['tensors']
    t0 = tens[0]
    layers = []
    for i, r in enumerate(rec['layers']):
        op, out = r['op'], tens[i + 1]
        L = QLayer(op, list(r['inputs']), tuple(out['shape']), f32(out['scale']), out['zp'])
        L.act = _act(i, op, r['act_min'], r['act_max'], L.out_scale, L.out_zp)
        p = r['p']
        if op in ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D'):
            if 'blob' not in r:
                raise ValueError(f"layer {i} ({op}): no weights")
            _weights_layer(i, r, L, tens, r['inputs'][0])
        elif op in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
            h, w, _, oh, ow, kh, kw, sh, sw = p[:9]
            L.opts = dict(stride_h=sh, stride_w=sw, filter_h=kh, filter_w=kw,
                          padding=_padding(h, w, kh, kw, sh, sw, oh, ow))
        elif op == 'SOFTMAX':
            if r.get('blob') is None or len(r['blob']) < 12:
                raise ValueError(f"layer {i} (SOFTMAX): no parameter blob")
            m, ls = (int(v) for v in np.frombuffer(r['blob'], '<i4', 2))
            in_s = f32(tens[r['inputs'][0]]['scale'])
            beta = 1.0 if qmath.quantize_multiplier(min(in_s * (1 << 26), (1 << 31) - 1.0)) \
                == (m, ls) else _scale_for(lambda b: b * in_s * (1 << 26), m, ls,
                                           f"layer {i} (SOFTMAX) beta")
            L.opts = dict(beta=beta)
        layers.append(L)
    c = t0['shape'][-1]
    qm = QModel(tuple(t0['shape']), f32(t0['scale']), t0['zp'], layers,
                mean=np.array(rec['mean'][:c], np.float32),
                std=np.array(rec['std'][:c], np.float32), class_names=list(rec['class_names']))
    try:
        again = modelfile.write(qm)
    except ValueError as e:
        raise ValueError(f"inconsistent model file: {e}") from None
    if again != data:
        k = next((j for j, (a, b) in enumerate(zip(again, data)) if a != b), min(len(again), len(data)))
        raise ValueError(f"inconsistent model file: the model it describes writes different "
                         f"bytes (first difference at byte {k})")
    return qm


def read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        return to_qmodel(data)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
