"""Models and kernel cases for `microlearn bench` (random int8 weights, sane scales).

ds_cnn(): a DS-CNN keyword spotter of the "Hello Edge" size (49x10 MFCC input,
CONV 64 10x4 stride 2 SAME, 4 x (DW 3x3 + PW 1x1 64), average pool, FC 12,
softmax). mlp(): 64-32-16-10 + softmax. kernel_cases(): one-layer FC / conv /
dwconv problems turned into exactly the arguments the engine passes its
kernels (via modelfile.write + modelfile.read). Nothing here is trained: the
weights are random, the scales are chosen so activations spread over ~30 LSB.
"""
import numpy as np

from .. import modelfile
from ..quant.qmodel import QLayer, QModel, SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP, prepare

ACT_SCALE = 0.05     # every activation tensor (pools need in == out anyway)
RELU_ZP = -128       # post-ReLU tensors use the whole int8 range for [0, max]
KWS_CLASSES = ["silence", "unknown", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]


def _weighted(rng, op, in_shape, out_shape, w_shape, act="RELU", opts=None, k=None):
    """FC/CONV/DW layer with random int8 weights; multiplier ~ 30 / (sqrt(K) * 73 * 73)."""
    w = rng.integers(-127, 128, size=w_shape).astype(np.int8)
    n = out_shape[-1]
    k = k or int(np.prod(w_shape[1:]))
    m = 30.0 / (np.sqrt(k) * 73.0 * 73.0) * 10 ** rng.uniform(-0.2, 0.2, size=n)
    w_scales = m * ACT_SCALE / ACT_SCALE
    bias = rng.integers(-2000, 2000, size=n).astype(np.int32)
    zp = RELU_ZP if act == "RELU" else 0
    return QLayer(op, [0], tuple(out_shape), ACT_SCALE, zp, act, w, bias, w_scales, dict(opts or {}))


def _chain(model, layer):
    layer.inputs = [len(model.layers)]
    model.layers.append(layer)
    return layer


def _same(n, s):
    return (n + s - 1) // s


def ds_cnn(seed=0, filters=64, blocks=4, classes=12, in_hw=(49, 10)):
    rng = np.random.default_rng(seed)
    h, w = in_hw
    m = QModel((h, w, 1), ACT_SCALE, 0, [], class_names=KWS_CLASSES[:classes])
    oh, ow = _same(h, 2), _same(w, 2)
    _chain(m, _weighted(rng, "CONV_2D", (h, w, 1), (oh, ow, filters), (filters, 10, 4, 1),
                        opts=dict(stride_h=2, stride_w=2, padding="SAME")))
    for _ in range(blocks):
        _chain(m, _weighted(rng, "DEPTHWISE_CONV_2D", (oh, ow, filters), (oh, ow, filters),
                            (1, 3, 3, filters), k=9,
                            opts=dict(stride_h=1, stride_w=1, padding="SAME", depth_multiplier=1)))
        _chain(m, _weighted(rng, "CONV_2D", (oh, ow, filters), (oh, ow, filters), (filters, 1, 1, filters),
                            opts=dict(stride_h=1, stride_w=1, padding="SAME")))
    _chain(m, QLayer("AVERAGE_POOL_2D", [0], (1, 1, filters), ACT_SCALE, RELU_ZP,
                     opts=dict(filter_h=oh, filter_w=ow, stride_h=1, stride_w=1, padding="VALID")))
    L = _chain(m, _weighted(rng, "FULLY_CONNECTED", (filters,), (classes,), (classes, filters), act="NONE"))
    L.out_scale = 0.1
    _chain(m, QLayer("SOFTMAX", [0], (classes,), SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP, opts=dict(beta=1.0)))
    return m


def mlp(seed=1, sizes=(64, 32, 16, 10)):
    rng = np.random.default_rng(seed)
    m = QModel((sizes[0],), ACT_SCALE, 0, [], class_names=[str(i) for i in range(sizes[-1])])
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        L = _chain(m, _weighted(rng, "FULLY_CONNECTED", (a,), (b,), (b, a), act="NONE" if last else "RELU"))
        if last:
            L.out_scale = 0.1
    _chain(m, QLayer("SOFTMAX", [0], (sizes[-1],), SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP, opts=dict(beta=1.0)))
    return m


def layer_macs(model):
    """[(op, out_shape, MACs)] per layer, from the prepared parameters."""
    rows = []
    for L, p in zip(model.layers, prepare(model)):
        out = p["out_shape"]
        if L.op == "FULLY_CONNECTED":
            macs = L.weights.size
        elif L.op == "CONV_2D":
            macs = int(np.prod(out)) * int(np.prod(L.weights.shape[1:]))
        elif L.op == "DEPTHWISE_CONV_2D":
            macs = int(np.prod(out)) * p["filter_h"] * p["filter_w"]
        else:
            macs = 0
        rows.append((L.op, tuple(out), macs))
    return rows


def total_macs(model):
    return sum(r[2] for r in layer_macs(model))


MODELS = {"ds_cnn": ds_cnn, "mlp": mlp}
MODEL_LABELS = {"ds_cnn": "DS-CNN KWS (49x10x1, 64 ch, 4 blocks)", "mlp": "MLP 64-32-16-10"}


def model_files():
    """({file name: .mlm bytes}, {name: dict(file, macs, input)}) for the model bench body."""
    files, meta = {}, {}
    for name, build in MODELS.items():
        qm = build()
        data = modelfile.write(qm)
        files[name + ".mlm"] = data
        meta[name] = dict(file=name + ".mlm", macs=total_macs(qm), input=int(np.prod(qm.input_shape)),
                          bytes=len(data))
    return files, meta


# --- kernel cases --------------------------------------------------------------------------

def _fc_case(rng):
    return QModel((256,), ACT_SCALE, 0, [_weighted(rng, "FULLY_CONNECTED", (256,), (64,), (64, 256))])


def _conv_case(rng):
    return QModel((16, 16, 16), ACT_SCALE, RELU_ZP, [_weighted(
        rng, "CONV_2D", (16, 16, 16), (16, 16, 16), (16, 3, 3, 16),
        opts=dict(stride_h=1, stride_w=1, padding="SAME"))])


def _dw_case(rng):
    return QModel((16, 16, 64), ACT_SCALE, RELU_ZP, [_weighted(
        rng, "DEPTHWISE_CONV_2D", (16, 16, 64), (16, 16, 64), (1, 3, 3, 64), k=9,
        opts=dict(stride_h=1, stride_w=1, padding="SAME", depth_multiplier=1))])


KERNELS = (("fc", "FC 256->64", _fc_case), ("conv", "conv 3x3 16->16 on 16x16 (SAME)", _conv_case),
           ("dwconv", "dwconv 3x3 x64 on 16x16 (SAME)", _dw_case))


def kernel_cases(seed=2):
    """(bin bytes, json-able dict): each case's blob (weights, folded bias, mult,
    shift) at the offset given, plus the kernel p, MACs, input and output sizes.

    The device fills the input with pseudo-random bytes itself (shipping it would
    cost the m0 heap twice); conv inputs are the *padded* buffers the kernels
    read (pad() is not timed).
    """
    rng = np.random.default_rng(seed)
    blob, meta = bytearray(), {}
    for name, label, build in KERNELS:
        qm = build(rng)
        rec = modelfile.read(modelfile.write(qm))["layers"][0]
        p = rec["p"]
        L = qm.layers[0]
        if name == "fc":
            n_x, n_out, macs = p[0], p[1], p[0] * p[1]
        else:
            n_x = p[0] * p[1] * p[2]
            n_out = int(np.prod(L.out_shape))
            macs = n_out * (L.weights[0].size if name == "conv" else p[6] * p[7])
        n_w, n_ch = L.weights.size, len(L.bias)
        entry = dict(label=label, p=p, macs=macs, n_x=n_x, n_out=n_out, n_ch=n_ch, w=n_w,
                     blob=[len(blob), len(rec["blob"])])
        blob += rec["blob"]   # a multiple of 4 bytes
        meta[name] = entry
    return bytes(blob), meta

