"""Run a QModel with the numpy reference kernels (integer parameters only)."""
import numpy as np

from . import ops
from .qmodel import prepare


def run_layer(layer, p, ins):
    """Evaluate one layer given its prepared params and int8 input arrays."""
    op = layer.op
    x = ins[0]
    if op == 'FULLY_CONNECTED':
        return ops.fully_connected(x, p, layer.weights, layer.bias)
    if op == 'CONV_2D':
        return ops.conv2d(x, p, layer.weights, layer.bias)
    if op == 'DEPTHWISE_CONV_2D':
        return ops.depthwise_conv2d(x, p, layer.weights, layer.bias)
    if op == 'AVERAGE_POOL_2D':
        return ops.average_pool2d(x, p)
    if op == 'MAX_POOL_2D':
        return ops.max_pool2d(x, p)
    if op == 'MEAN':
        return ops.mean_hw(x, p)
    if op == 'RESHAPE':
        return ops.reshape(x, p)
    if op == 'ADD':
        return ops.add(x, ins[1], p)
    if op == 'SOFTMAX':
        return ops.softmax(x, p)
    raise ValueError(f"unsupported op {op}")


def run(model, x_int8, params=None):
    """Per-layer int8 outputs (no batch dim) for one int8 input of input_shape.

    `params` may be passed to skip re-running prepare() for repeated calls.
    """
    x = np.asarray(x_int8)
    if x.dtype != np.int8:
        raise ValueError(f"input must be int8, got {x.dtype}")
    if x.shape != tuple(model.input_shape):
        if x.size != int(np.prod(model.input_shape)):
            raise ValueError(f"input shape {x.shape} != model input {tuple(model.input_shape)}")
        x = x.reshape(model.input_shape)
    params = prepare(model) if params is None else params
    tensors = [x]
    for layer, p in zip(model.layers, params):
        y = run_layer(layer, p, [tensors[t] for t in layer.inputs])
        tensors.append(y.reshape(p['out_shape']))
    return tensors[1:]


def quantize_input(model, x_float):
    """Raw float input -> int8 model input ((x-mean)/std, then quantize)."""
    x = np.asarray(x_float, np.float32)
    if model.mean is not None:
        x = x - np.asarray(model.mean, np.float32)
    if model.std is not None:
        x = x / np.asarray(model.std, np.float32)
    return ops.quantize(x, model.input_scale, model.input_zp)
