"""int8 .tflite bytes -> QModel (the inverse of writer.write for supported graphs).

Only single-subgraph, single-input, fully int8 models made of the ops in
quant.qmodel.OPS are accepted; anything else raises ValueError naming the
problem (e.g. "unsupported operator LOGISTIC at op 3").
"""
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
    return _OP_NAMES.get(code, f'BUILTIN_{code}')


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
            raise ValueError(f"unsupported operator {name} at op {k}")
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
            if axes != [1, 2] or o is None or not o.KeepDims():
                raise ValueError(f"op {k} (MEAN): only axes [1, 2] with keep_dims are supported")
        elif name == 'SOFTMAX':
            L.opts = dict(beta=float(o.Beta()) if o is not None else 1.0)
        ids[out] = len(layers) + 1
        layers.append(L)
    if not layers:
        raise ValueError("model has no operators")
    model = QModel(in_shape, float(s[0]), int(z[0]), layers)
    prepare(model)  # reject anything our engines cannot evaluate
    return model


def import_file(path):
    with open(path, 'rb') as f:
        return import_tflite(f.read())
