"""Models larger than a board's heap (issue #11), random int8 weights with sane scales.

person_detect(): MobileNet-v1 0.25 on 96x96x1 (the visual-wake-words / person-detection shape:
CONV 8 3x3 stride 2, 13 depthwise-separable blocks 16..256 channels, average pool, FC 2,
softmax), ~210 K weights. resnet8(): the MLPerf Tiny ResNet-8 shape on 32x32x3 CIFAR-10 (CONV
16, three residual stacks of 16, 32, 64 channels with 1x1 projections, average pool, FC 10),
~78 K weights. autoencoder(): the MLPerf Tiny anomaly-detection FC autoencoder
640-128-128-128-128-8-128-128-128-128-640, ~264 K weights. Built with bench/models.py's
random layers; nothing is trained.
"""
import numpy as np

from ..quant.qmodel import QLayer, QModel, SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP
from .models import ACT_SCALE, RELU_ZP, _chain, _same, _weighted


def _conv(m, rng, shape, c_out, k=3, stride=1, act="RELU"):
    h, w, c = shape
    oh, ow = _same(h, stride), _same(w, stride)
    _chain(m, _weighted(rng, "CONV_2D", shape, (oh, ow, c_out), (c_out, k, k, c), act=act,
                        opts=dict(stride_h=stride, stride_w=stride, padding="SAME")))
    return (oh, ow, c_out)


def _dw(m, rng, shape, stride=1):
    h, w, c = shape
    oh, ow = _same(h, stride), _same(w, stride)
    _chain(m, _weighted(rng, "DEPTHWISE_CONV_2D", shape, (oh, ow, c), (1, 3, 3, c), k=9,
                        opts=dict(stride_h=stride, stride_w=stride, padding="SAME",
                                  depth_multiplier=1)))
    return (oh, ow, c)


def _head(m, rng, shape, classes):
    h, w, c = shape
    _chain(m, QLayer("AVERAGE_POOL_2D", [0], (1, 1, c), ACT_SCALE, RELU_ZP,
                     opts=dict(filter_h=h, filter_w=w, stride_h=1, stride_w=1, padding="VALID")))
    L = _chain(m, _weighted(rng, "FULLY_CONNECTED", (c,), (classes,), (classes, c), act="NONE"))
    L.out_scale = 0.1
    _chain(m, QLayer("SOFTMAX", [0], (classes,), SOFTMAX_OUT_SCALE, SOFTMAX_OUT_ZP,
                     opts=dict(beta=1.0)))


def person_detect(seed=0):
    rng = np.random.default_rng(seed)
    m = QModel((96, 96, 1), ACT_SCALE, 0, [], class_names=["no person", "person"])
    s = _conv(m, rng, (96, 96, 1), 8, stride=2)
    for c, stride in ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                      (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)):
        s = _dw(m, rng, s, stride)
        s = _conv(m, rng, s, c, k=1)
    _head(m, rng, s, 2)
    return m


def resnet8(seed=0):
    rng = np.random.default_rng(seed)
    m = QModel((32, 32, 3), ACT_SCALE, 0, [], class_names=[str(i) for i in range(10)])
    s = _conv(m, rng, (32, 32, 3), 16)
    for c, stride in ((16, 1), (32, 2), (64, 2)):
        x = len(m.layers)  # the block's input tensor
        a = _conv(m, rng, s, c, stride=stride)
        _conv(m, rng, a, c, act="NONE")
        y = len(m.layers)
        if stride != 1 or c != s[2]:  # a 1x1 projection of the block's input
            p = _weighted(rng, "CONV_2D", s, a, (c, 1, 1, s[2]), act="NONE",
                          opts=dict(stride_h=stride, stride_w=stride, padding="SAME"))
            p.inputs = [x]
            m.layers.append(p)
            x = len(m.layers)
        m.layers.append(QLayer("ADD", [x, y], a, ACT_SCALE, RELU_ZP, "RELU"))
        s = a
    _head(m, rng, s, 10)
    return m


def autoencoder(seed=0, sizes=(640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640)):
    rng = np.random.default_rng(seed)
    m = QModel((sizes[0],), ACT_SCALE, 0, [])
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        _chain(m, _weighted(rng, "FULLY_CONNECTED", (a,), (b,), (b, a),
                            act="NONE" if last else "RELU"))
    return m


MODELS = {"person_detect": person_detect, "resnet8": resnet8, "autoencoder": autoencoder}
LABELS = {"person_detect": "person detection (MobileNet-v1 0.25, 96x96x1)",
          "resnet8": "ResNet-8 (CIFAR-10, 32x32x3)",
          "autoencoder": "FC autoencoder 640-128x4-8-128x4-640"}
