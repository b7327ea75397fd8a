"""QModel -> .tflite bytes (int8, per-channel weights) without TensorFlow.

Uses the generated schema classes of PyPI `tflite` and the flatbuffers
Builder. Tensor shapes carry a leading batch dimension of 1. What .tflite has
no field for (the input mean/std applied before quantizing, the class names)
goes into Model.metadata as a buffer named "microlearn" holding JSON; TFLM
ignores metadata, importer.py reads it back.
"""
import importlib
import json

import flatbuffers
import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from ..quant.qmodel import prepare, f32

_ACT = {'NONE': ActivationFunctionType.NONE, 'RELU': ActivationFunctionType.RELU,
        'RELU6': ActivationFunctionType.RELU6}
_PAD = {'SAME': Padding.SAME, 'VALID': Padding.VALID}
_TTYPE = {np.dtype(np.int8): TensorType.INT8, np.dtype(np.int32): TensorType.INT32,
          np.dtype(np.float32): TensorType.FLOAT32}


def _table(b, name, **fields):
    """Build a schema table: tflite.<name>.<name>Start / Add<Field> / End."""
    mod = importlib.import_module(f'tflite.{name}')
    getattr(mod, f'{name}Start')(b)
    for k, v in fields.items():
        if v is not None:
            getattr(mod, f'{name}Add{k}')(b, v)
    return getattr(mod, f'{name}End')(b)


def _vec(b, arr, dtype, align=None):
    """A numpy vector; constant data is aligned to 16 bytes for TFLM."""
    a = np.ascontiguousarray(np.asarray(arr, dtype=dtype).reshape(-1))
    if align is None:
        return b.CreateNumpyVector(a)
    b.StartVector(a.itemsize, a.size, align)
    data = a.tobytes()
    b.head -= len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    b.vectorNumElems = a.size
    return b.EndVector()


def _offsets(b, offs):
    b.StartVector(4, len(offs), 4)
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


class _Graph:
    """Collects tensors/buffers/operators before serialising."""

    def __init__(self):
        self.tensors = []   # dicts: shape, dtype, scale, zp, qdim, buffer
        self.buffers = [None]  # buffer 0 is the conventional empty buffer
        self.ops = []       # (opcode, inputs, outputs, options_type, options_fn)
        self.opcodes = []   # builtin code, or (BuiltinOperator.CUSTOM, custom_code)
        self.metadata = []  # (name, buffer index)

    def tensor(self, shape, dtype, scale=None, zp=None, qdim=0, data=None, name=''):
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data, dtype=dtype))
            buf = len(self.buffers) - 1
        self.tensors.append(dict(shape=[int(d) for d in shape], dtype=np.dtype(dtype),
                                 scale=scale, zp=zp, qdim=qdim, buffer=buf, name=name))
        return len(self.tensors) - 1

    def op(self, code, inputs, outputs, opt_type=0, opt_fn=None):
        if code not in self.opcodes:
            self.opcodes.append(code)
        self.ops.append((self.opcodes.index(code), inputs, outputs, opt_type, opt_fn))


def _layer_options(layer, p):
    """(BuiltinOptions type, builder callback) for one layer."""
    o, act = layer.opts, _ACT[layer.act]
    op = layer.op
    if op == 'FULLY_CONNECTED':
        return BuiltinOptions.FullyConnectedOptions, lambda b: _table(
            b, 'FullyConnectedOptions', FusedActivationFunction=act, KeepNumDims=False)
    if op == 'CONV_2D':
        return BuiltinOptions.Conv2DOptions, lambda b: _table(
            b, 'Conv2DOptions', Padding=_PAD[p['padding']], StrideW=p['stride_w'],
            StrideH=p['stride_h'], FusedActivationFunction=act,
            DilationWFactor=1, DilationHFactor=1)
    if op == 'DEPTHWISE_CONV_2D':
        return BuiltinOptions.DepthwiseConv2DOptions, lambda b: _table(
            b, 'DepthwiseConv2DOptions', Padding=_PAD[p['padding']], StrideW=p['stride_w'],
            StrideH=p['stride_h'], DepthMultiplier=p['depth_multiplier'],
            FusedActivationFunction=act, DilationWFactor=1, DilationHFactor=1)
    if op in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
        return BuiltinOptions.Pool2DOptions, lambda b: _table(
            b, 'Pool2DOptions', Padding=_PAD[p['padding']], StrideW=p['stride_w'],
            StrideH=p['stride_h'], FilterWidth=p['filter_w'], FilterHeight=p['filter_h'],
            FusedActivationFunction=act)
    if op == 'MEAN':   # (C,) is Keras' GlobalAveragePooling2D: keep_dims=False
        keep = len(layer.out_shape) == 3
        return BuiltinOptions.ReducerOptions, lambda b: _table(b, 'ReducerOptions', KeepDims=keep)
    if op == 'RESHAPE':
        def fn(b):
            ns = _vec(b, (1,) + tuple(layer.out_shape), np.int32)
            return _table(b, 'ReshapeOptions', NewShape=ns)
        return BuiltinOptions.ReshapeOptions, fn
    if op == 'ADD':
        return BuiltinOptions.AddOptions, lambda b: _table(
            b, 'AddOptions', FusedActivationFunction=act)
    if op == 'SOFTMAX':
        return BuiltinOptions.SoftmaxOptions, lambda b: _table(
            b, 'SoftmaxOptions', Beta=float(o.get('beta', 1.0)))
    raise ValueError(f"cannot write op {op}")


def build_graph(model, params=None):
    """Lay out tensors and operators of `model` (validated by prepare())."""
    params = prepare(model) if params is None else params
    g = _Graph()
    act_ids = [g.tensor((1,) + tuple(model.input_shape), np.int8, [f32(model.input_scale)],
                        [int(model.input_zp)], name='input')]
    scales = [f32(model.input_scale)]
    for i, (L, p) in enumerate(zip(model.layers, params)):
        ins = [act_ids[t] for t in L.inputs]
        in_scale = scales[L.inputs[0]]
        op = L.op
        if op in ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D'):
            ws = [f32(s) for s in np.ravel(L.w_scales)]
            qdim = 3 if op == 'DEPTHWISE_CONV_2D' else 0
            wid = g.tensor(L.weights.shape, np.int8, ws, [0] * len(ws), qdim, L.weights,
                           name=f'l{i}_w')
            n_out = len(ws)
            bias = L.bias if L.bias is not None else np.zeros(n_out, np.int32)
            bid = g.tensor((n_out,), np.int32, [f32(np.float32(in_scale) * np.float32(s)) for s in ws],
                           [0] * n_out, 0, bias, name=f'l{i}_b')
            ins = ins + [wid, bid]
        elif op == 'MEAN':
            ins = ins + [g.tensor((2,), np.int32, data=np.array([1, 2]), name=f'l{i}_axes')]
        elif op == 'RESHAPE':
            shp = (1,) + tuple(L.out_shape)
            ins = ins + [g.tensor((len(shp),), np.int32, data=np.array(shp), name=f'l{i}_shape')]
        out_shape = (1,) + tuple(L.out_shape)
        out = g.tensor(out_shape, np.int8, [f32(L.out_scale)], [int(L.out_zp)], name=f'l{i}_out')
        act_ids.append(out)
        scales.append(f32(L.out_scale))
        opt_type, opt_fn = _layer_options(L, p)
        g.op(getattr(BuiltinOperator, op), ins, [out], opt_type, opt_fn)
    meta = metadata_json(model)
    if meta is not None:
        g.buffers.append(np.frombuffer(meta, np.uint8))
        g.metadata.append((METADATA_NAME, len(g.buffers) - 1))
    return g, act_ids


METADATA_NAME = 'microlearn'


def metadata_json(model):
    """UTF-8 JSON of the input normalisation and class names (None when there are none)."""
    meta = {}
    for key in ('mean', 'std'):
        v = getattr(model, key)
        if v is not None:
            a = np.asarray(v, np.float32)
            meta[key] = {'shape': list(a.shape), 'data': [float(x) for x in a.reshape(-1)]}
    if model.class_names:
        meta['class_names'] = [str(c) for c in model.class_names]
    return json.dumps(meta, ensure_ascii=False).encode() if meta else None


def write(model, outputs='last'):
    """Serialise `model`. outputs='all' makes every layer output a graph
    output (in layer order) so an interpreter can expose intermediates."""
    g, act_ids = build_graph(model)
    graph_outputs = act_ids[1:] if outputs == 'all' else [act_ids[-1]]
    return serialize(g, [act_ids[0]], graph_outputs)


def serialize(g, graph_inputs, graph_outputs):
    """_Graph -> .tflite bytes (also used by tests to build odd graphs)."""
    b = flatbuffers.Builder(1024)

    buf_offs = []
    for data in g.buffers:
        if data is None:
            buf_offs.append(_table(b, 'Buffer'))
        else:
            d = _vec(b, np.frombuffer(data.tobytes(), np.uint8), np.uint8, align=16)
            buf_offs.append(_table(b, 'Buffer', Data=d))

    t_offs = []
    for t in g.tensors:
        q = None
        if t['scale'] is not None:
            sc = _vec(b, t['scale'], np.float32)
            zp = _vec(b, t['zp'], np.int64)
            q = _table(b, 'QuantizationParameters', Scale=sc, ZeroPoint=zp,
                       QuantizedDimension=t['qdim'])
        shape = _vec(b, t['shape'], np.int32)
        name = b.CreateString(t['name'])
        t_offs.append(_table(b, 'Tensor', Shape=shape, Type=_TTYPE[t['dtype']],
                             Buffer=t['buffer'], Name=name, Quantization=q))

    op_offs = []
    for code_idx, ins, outs, opt_type, opt_fn in g.ops:
        iv = _vec(b, ins, np.int32)
        ov = _vec(b, outs, np.int32)
        opt = opt_fn(b) if opt_fn else None
        op_offs.append(_table(b, 'Operator', OpcodeIndex=code_idx, Inputs=iv, Outputs=ov,
                              BuiltinOptionsType=opt_type, BuiltinOptions=opt))

    meta_offs = [_table(b, 'Metadata', Name=b.CreateString(name), Buffer=buf)
                 for name, buf in g.metadata]
    sg = _table(b, 'SubGraph', Tensors=_offsets(b, t_offs),
                Inputs=_vec(b, graph_inputs, np.int32),
                Outputs=_vec(b, graph_outputs, np.int32),
                Operators=_offsets(b, op_offs), Name=b.CreateString('main'))
    code_offs = []
    for c in g.opcodes:
        c, custom = c if isinstance(c, tuple) else (c, None)
        cc = b.CreateString(custom) if custom is not None else None
        code_offs.append(_table(b, 'OperatorCode', DeprecatedBuiltinCode=min(c, 127),
                                BuiltinCode=c, CustomCode=cc, Version=1))
    desc = b.CreateString('microlearn')
    root = _table(b, 'Model', Version=3, OperatorCodes=_offsets(b, code_offs),
                  Subgraphs=_offsets(b, [sg]), Description=desc,
                  Buffers=_offsets(b, buf_offs),
                  Metadata=_offsets(b, meta_offs) if meta_offs else None)
    b.Finish(root, file_identifier=b'TFL3')
    return bytes(b.Output())
