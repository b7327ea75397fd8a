"""int8 .tflite bytes -> QModel (the inverse of writer.write for supported graphs).

Only single-subgraph, single-input, fully int8 models made of the ops in
quant.qmodel.OPS are accepted; anything else raises ValueError naming the
problem (e.g. "unsupported operator LOGISTIC at op 3"). The "microlearn"
metadata buffer that writer.py adds (input mean/std, class names) is read back.
"""
import json

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from ..quant.qmodel import OPS, QLayer, QModel, prepare

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith('_')}
_TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith('_')}
_ACT = {ActivationFunctionType.NONE: 'NONE', ActivationFunctionType.RELU: 'RELU',
        ActivationFunctionType.RELU6: 'RELU6'}
_PAD = {Padding.SAME: 'SAME', Padding.VALID: 'VALID'}
_OPTIONS = {'FULLY_CONNECTED': tflite.FullyConnectedOptions, 'CONV_2D': tflite.Conv2DOptions,
            'DEPTHWISE_CONV_2D': tflite.DepthwiseConv2DOptions,
            'AVERAGE_POOL_2D': tflite.Pool2DOptions, 'MAX_POOL_2D': tflite.Pool2DOptions,
            'MEAN': tflite.ReducerOptions, 'RESHAPE': tflite.ReshapeOptions,
            'ADD': tflite.AddOptions, 'SOFTMAX': tflite.SoftmaxOptions}


def _opcode_name(model, idx):
    oc = model.OperatorCodes(idx)
    code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
    if code == BuiltinOperator.CUSTOM:
        cc = oc.CustomCode()
        return f"custom operator {(cc or b'').decode(errors='replace')!r}"
    return _OP_NAMES.get(code, f'BUILTIN_{code}')


def metadata(data):
    """The "microlearn" metadata of .tflite bytes as a dict, or None if there is none."""
    m = tflite.Model.GetRootAs(bytes(data), 0)
    for k in range(m.MetadataLength()):
        md = m.Metadata(k)
        if md.Name() != b'microlearn':
            continue
        buf = m.Buffers(md.Buffer())
        if buf is None or buf.DataLength() == 0:
            raise ValueError("metadata 'microlearn' points at an empty buffer")
        try:
            meta = json.loads(buf.DataAsNumpy().tobytes().decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"metadata 'microlearn' is not JSON ({e})") from None
        if not isinstance(meta, dict):
            raise ValueError("metadata 'microlearn' is not a JSON object")
        return meta
    return None


def _apply_metadata(model, meta):
    """Set mean/std/class_names from the metadata, checking them against the model."""
    for key in ('mean', 'std'):
        if key not in meta:
            continue
        try:
            v = np.asarray(meta[key]['data'], np.float32).reshape(meta[key]['shape'])
            np.broadcast_shapes(v.shape, tuple(model.input_shape))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"metadata {key} does not fit the input "
                             f"{tuple(model.input_shape)} ({e})") from None
        if not np.isfinite(v).all() or (key == 'std' and not (v > 0).all()):
            raise ValueError(f"metadata {key} must be finite (and std > 0)")
        setattr(model, key, v)
    if (model.mean is None) != (model.std is None):
        raise ValueError("metadata has only one of mean/std")
    names = meta.get('class_names', [])
    n_out = int(np.prod(model.layers[-1].out_shape))
    if not isinstance(names, list) or (names and len(names) != n_out):
        raise ValueError(f"metadata class_names must be a list of {n_out} names")
    model.class_names = [str(c) for c in names]


def _options(op, name):
    tab = op.BuiltinOptions()
    if tab is None:
        return None
    o = _OPTIONS[name]()
    o.Init(tab.Bytes, tab.Pos)
    return o


class _Reader:
    def __init__(self, data):
        self.m = tflite.Model.GetRootAs(data, 0)
        if self.m.SubgraphsLength() != 1:
            raise ValueError(f"expected 1 subgraph, found {self.m.SubgraphsLength()}")
        self.g = self.m.Subgraphs(0)

    def tensor(self, t):
        return self.g.Tensors(t)

    def shape(self, t):
        return tuple(int(d) for d in self.tensor(t).ShapeAsNumpy())

    def quant(self, t):
        q = self.tensor(t).Quantization()
        if q is None or q.ScaleLength() == 0:
            return None, None, 0
        return (q.ScaleAsNumpy().astype(np.float64), q.ZeroPointAsNumpy().astype(np.int64),
                q.QuantizedDimension())

    def data(self, t, dtype):
        buf = self.m.Buffers(self.tensor(t).Buffer())
        if buf is None or buf.DataLength() == 0:
            raise ValueError(f"tensor {t} ({self.tensor(t).Name().decode()}) has no constant data")
        return np.frombuffer(buf.DataAsNumpy().tobytes(), dtype=dtype).reshape(self.shape(t))

    def check_type(self, t, want, what):
        ty = self.tensor(t).Type()
        if ty != want:
            raise ValueError(f"{what}: tensor {t} is {_TYPE_NAMES.get(ty, ty)}, expected "
                             f"{_TYPE_NAMES[want]} (only int8 models are supported)")


def import_tflite(data):
    """Parse int8 .tflite bytes into a QModel (validated with prepare())."""
    r = _Reader(bytes(data))
    g = r.g
    if g.InputsLength() != 1:
        raise ValueError(f"expected exactly 1 model input, found {g.InputsLength()}")
    t_in = int(g.Inputs(0))
    r.check_type(t_in, TensorType.INT8, "model input")
    s, z, _ = r.quant(t_in)
    if s is None:
        raise ValueError("model input is not quantized")
    in_shape = r.shape(t_in)[1:]
    ids = {t_in: 0}   # tflite tensor index -> QModel tensor id
    layers = []
    for k in range(g.OperatorsLength()):
        op = g.Operators(k)
        name = _opcode_name(r.m, op.OpcodeIndex())
        if name not in OPS:
            what = name if name.startswith('custom') else f"operator {name}"
            raise ValueError(f"unsupported {what} at op {k}")
        ins = [int(i) for i in op.InputsAsNumpy()]
        out = int(op.Outputs(0))
        r.check_type(out, TensorType.INT8, f"op {k} ({name}) output")
        n_act = 2 if name == 'ADD' else 1
        for t in ins[:n_act]:
            if t not in ids:
                raise ValueError(f"op {k} ({name}): input tensor {t} is neither the model "
                                 f"input nor produced by an earlier op")
            r.check_type(t, TensorType.INT8, f"op {k} ({name}) input")
        os_, oz, _ = r.quant(out)
        if os_ is None:
            raise ValueError(f"op {k} ({name}): output is not quantized")
        shape = r.shape(out)[1:]
        o = _options(op, name)
        act = 'NONE'
        if hasattr(o, 'FusedActivationFunction'):
            a = o.FusedActivationFunction()
            if a not in _ACT:
                raise ValueError(f"op {k} ({name}): unsupported fused activation {a}")
            act = _ACT[a]
        L = QLayer(name, [ids[t] for t in ins[:n_act]], shape, float(os_[0]), int(oz[0]), act)
        if name in ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D'):
            r.check_type(ins[1], TensorType.INT8, f"op {k} ({name}) weights")
            L.weights = r.data(ins[1], np.int8).copy()
            ws, wz, _ = r.quant(ins[1])
            if ws is None or np.any(wz != 0):
                raise ValueError(f"op {k} ({name}): weights must be symmetric int8")
            n_out = L.weights.shape[3 if name == 'DEPTHWISE_CONV_2D' else 0]
            L.w_scales = np.broadcast_to(ws, (n_out,)).copy()
            if len(ins) > 2 and ins[2] >= 0:
                r.check_type(ins[2], TensorType.INT32, f"op {k} ({name}) bias")
                L.bias = r.data(ins[2], np.int32).copy()
            if name == 'FULLY_CONNECTED':
                L.out_shape = (int(np.prod(shape)),)
            else:
                L.opts = dict(stride_h=o.StrideH(), stride_w=o.StrideW(), padding=_PAD[o.Padding()])
                if o.DilationHFactor() != 1 or o.DilationWFactor() != 1:
                    raise ValueError(f"op {k} ({name}): dilation is not supported")
                if name == 'DEPTHWISE_CONV_2D':
                    L.opts['depth_multiplier'] = o.DepthMultiplier()
        elif name in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
            L.opts = dict(stride_h=o.StrideH(), stride_w=o.StrideW(), padding=_PAD[o.Padding()],
                          filter_h=o.FilterHeight(), filter_w=o.FilterWidth())
        elif name == 'MEAN':
            axes = sorted(int(a) for a in r.data(ins[1], np.int32).reshape(-1))
            if axes != [1, 2] or len(r.shape(ins[0])) != 4:
                raise ValueError(f"op {k} (MEAN): only a mean over H and W (axes [1, 2]) of an "
                                 f"N,H,W,C tensor is supported, got axes {axes}")
            # keep_dims=False (Keras' GlobalAveragePooling2D) is the same arithmetic; only
            # the output shape differs: (C,) instead of (1, 1, C).
            keep = o is not None and o.KeepDims()
            want = (1, 1, r.shape(ins[0])[3]) if keep else (r.shape(ins[0])[3],)
            if shape != want:
                raise ValueError(f"op {k} (MEAN): output shape {shape}, expected {want}")
        elif name == 'SOFTMAX':
            L.opts = dict(beta=float(o.Beta()) if o is not None else 1.0)
        ids[out] = len(layers) + 1
        layers.append(L)
    if not layers:
        raise ValueError("model has no operators")
    model = QModel(in_shape, float(s[0]), int(z[0]), layers)
    prepare(model)  # reject anything our engines cannot evaluate
    meta = metadata(data)
    if meta is not None:
        _apply_metadata(model, meta)
    return model


def import_file(path):
    with open(path, 'rb') as f:
        return import_tflite(f.read())
