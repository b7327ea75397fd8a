"""Gradient checks (finite differences) and forward semantics of every nn layer.

Tolerance: in float64 with central differences and eps=1e-6, truncation error
is O(eps^2 * f''') ~ 1e-12 and rounding error ~ 1e-16 * |L| / eps ~ 1e-9 for
our |L| ~ 10, so an analytic gradient that is right agrees to ~1e-8 absolute.
rtol=1e-5 / atol=1e-7 leaves a 100x margin and still catches any wrong term
(a missing or misplaced contribution changes a gradient by O(0.1..1)).
ReLU/ReLU6/max-pool kinks are non-differentiable; random continuous inputs
land within eps of a kink with probability ~1e-6 per element, so we ignore it.
"""
import numpy as np
import pytest

from microlearn_host import nn
from microlearn_host.nn.padding import out_and_pad

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-7


def build64(layer, input_shape, seed=0):
    layer.build(input_shape, np.random.default_rng(seed))
    layer.cast(np.float64)
    # Non-zero biases so that bias terms are exercised, not just zeros.
    for k, p in layer.params.items():
        if k == "b":
            layer.params[k] = np.random.default_rng(seed + 1).normal(size=p.shape)
    return layer


def numeric_grad(f, arr):
    """Central differences of scalar f() w.r.t. every element of arr (in place)."""
    g = np.zeros_like(arr)
    it = np.nditer(arr, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = arr[i]
        arr[i] = old + EPS
        fp = f()
        arr[i] = old - EPS
        fm = f()
        arr[i] = old
        g[i] = (fp - fm) / (2 * EPS)
    return g


def check_layer(layer, input_shape, batch=2, scale=1.0, training=False, reseed=None):
    rng = np.random.default_rng(42)
    build64(layer, input_shape)
    x = rng.normal(size=(batch,) + tuple(input_shape)) * scale
    g = rng.normal(size=(batch,) + layer.output_shape)

    def loss():
        if reseed is not None:
            reseed()
        return float(np.sum(layer.forward(x, training) * g))

    loss()
    dx = layer.backward(g)
    analytic = {k: v.copy() for k, v in layer.grads.items()}
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=RTOL, atol=ATOL)
    assert set(analytic) == set(layer.params)
    for k, p in layer.params.items():
        assert analytic[k].shape == p.shape
        np.testing.assert_allclose(analytic[k], numeric_grad(loss, p), rtol=RTOL, atol=ATOL,
                                   err_msg=f"param {k}")


CASES = [
    ("dense", lambda: nn.Dense(5), (7,), 1.0),
    ("dense_relu", lambda: nn.Dense(6, activation="relu"), (4,), 1.0),
    ("dense_relu6", lambda: nn.Dense(6, activation="relu6"), (4,), 6.0),
    ("conv_valid", lambda: nn.Conv2D(3, 3), (5, 6, 2), 1.0),
    ("conv_same_s2", lambda: nn.Conv2D(4, (3, 2), strides=2, padding="same",
                                       activation="relu"), (7, 6, 3), 1.0),
    ("conv_same_s2_even", lambda: nn.Conv2D(2, 3, strides=(2, 1), padding="same"), (8, 5, 2), 1.0),
    ("conv_relu6", lambda: nn.Conv2D(3, 2, activation="relu6"), (4, 4, 2), 5.0),
    ("conv1d", lambda: nn.Conv1D(3, 5, strides=2, padding="same", activation="relu"), (11, 1, 3), 1.0),
    ("depthwise", lambda: nn.DepthwiseConv2D(3), (5, 5, 3), 1.0),
    ("depthwise_mult_same_s2", lambda: nn.DepthwiseConv2D(3, strides=2, padding="same",
                                                           depth_multiplier=2,
                                                           activation="relu"), (7, 6, 2), 1.0),
    ("depthwise_relu6", lambda: nn.DepthwiseConv2D((2, 3), depth_multiplier=3,
                                                   activation="relu6"), (4, 5, 2), 5.0),
    ("avgpool", lambda: nn.AvgPool2D(2), (4, 6, 3), 1.0),
    ("avgpool_same_overlap", lambda: nn.AvgPool2D(3, strides=2, padding="same"), (5, 6, 2), 1.0),
    ("maxpool", lambda: nn.MaxPool2D(2), (4, 6, 3), 1.0),
    ("maxpool_same_overlap", lambda: nn.MaxPool2D(3, strides=2, padding="same"), (5, 6, 2), 1.0),
    ("maxpool1d", lambda: nn.MaxPool1D(3), (9, 1, 2), 1.0),
    ("gap", lambda: nn.GlobalAvgPool(), (3, 4, 5), 1.0),
    ("flatten", lambda: nn.Flatten(), (3, 2, 4), 1.0),
    ("relu", lambda: nn.ReLU(), (3, 4, 2), 1.0),
    ("relu6", lambda: nn.ReLU6(), (3, 4, 2), 5.0),
    ("dropout_eval", lambda: nn.Dropout(0.5), (10,), 1.0),
]


@pytest.mark.parametrize("name,make,shape,scale", CASES, ids=[c[0] for c in CASES])
def test_layer_gradients(name, make, shape, scale):
    check_layer(make(), shape, scale=scale)


def test_dropout_gradient_in_training():
    layer = nn.Dropout(0.3)

    def reseed():  # the same mask for every evaluation, as within one step
        layer.rng = np.random.default_rng(7)
    check_layer(layer, (20,), training=True, reseed=reseed)
    reseed()
    y = layer.forward(np.ones((50, 20)), training=True)
    dropped = np.mean(y == 0)
    assert 0.2 < dropped < 0.4 and np.allclose(y[y != 0], 1 / 0.7)


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5)) * 3
    labels = np.array([0, 3, 4, 1])
    _, g = nn.softmax_cross_entropy(logits, labels)
    num = numeric_grad(lambda: nn.softmax_cross_entropy(logits, labels)[0], logits)
    np.testing.assert_allclose(g, num, rtol=RTOL, atol=ATOL)
    # Loss value against a direct formula.
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.isclose(nn.softmax_cross_entropy(logits, labels)[0],
                      -np.mean(np.log(p[np.arange(4), labels])))


def test_whole_model_gradient_with_normalisation():
    model = nn.Sequential([nn.Conv2D(3, 3, padding="same", activation="relu"),
                           nn.DepthwiseConv2D(2, depth_multiplier=2, activation="relu6"),
                           nn.AvgPool2D(2), nn.Flatten(), nn.Dense(4)],
                          input_shape=(5, 5, 2), seed=3,
                          mean=np.array([1.0, -2.0]), std=np.array([2.0, 0.5])).cast(np.float64)
    rng = np.random.default_rng(1)
    # Random biases: with zero biases a window of ReLU zeros gives a pre-activation
    # of exactly 0, i.e. sits on the ReLU kink where finite differences are wrong.
    for layer in model.layers:
        if "b" in layer.params:
            layer.params["b"][...] = rng.normal(size=layer.params["b"].shape)
    x = rng.normal(size=(3, 5, 5, 2)) * 2
    y = np.array([0, 3, 1])

    def loss():
        return nn.softmax_cross_entropy(model.forward(x), y)[0]
    model.train_batch(x, y)
    for key, p, g in model.trainable():
        np.testing.assert_allclose(g, numeric_grad(loss, p), rtol=RTOL, atol=ATOL, err_msg=key)


# --- forward semantics, against naive loops written from TFLite's definitions ---

@pytest.mark.parametrize("size,k,s,expected", [
    (7, 3, 2, (4, 1, 1)),   # out=ceil(7/2)=4, total=3*2+3-7=2
    (8, 3, 2, (4, 0, 1)),   # total=1: the odd pixel goes after
    (6, 1, 2, (3, 0, 0)),   # total would be negative -> 0
    (5, 4, 1, (5, 1, 2)),   # total=3
])
def test_same_padding_rule(size, k, s, expected):
    assert out_and_pad(size, k, s, "same") == expected


def naive_conv(x, W, b, s, pads, depthwise_mult=None):
    n, h, w, c = x.shape
    kh, kw = W.shape[1:3]
    (t, _), (l, _) = pads
    oh = (h + sum(pads[0]) - kh) // s[0] + 1
    ow = (w + sum(pads[1]) - kw) // s[1] + 1
    oc = W.shape[0] if depthwise_mult is None else W.shape[3]
    out = np.zeros((n, oh, ow, oc))
    for o in range(oc):
        for yy in range(oh):
            for xx in range(ow):
                acc = np.full(n, b[o], dtype=float)
                for ky in range(kh):
                    for kx in range(kw):
                        iy, ix = yy * s[0] - t + ky, xx * s[1] - l + kx
                        if 0 <= iy < h and 0 <= ix < w:
                            if depthwise_mult is None:
                                acc += x[:, iy, ix, :] @ W[o, ky, kx, :]
                            else:
                                acc += x[:, iy, ix, o // depthwise_mult] * W[0, ky, kx, o]
                out[:, yy, xx, o] = acc
    return out


def test_conv2d_forward_matches_tflite_definition():
    layer = build64(nn.Conv2D(4, (3, 2), strides=2, padding="same"), (7, 6, 3))
    x = np.random.default_rng(0).normal(size=(2, 7, 6, 3))
    # TFLite SAME for H: out 4, total 2 -> (1, 1); W: out 3, total 2*2+2-6=0.
    ref = naive_conv(x, layer.params["W"], layer.params["b"], (2, 2), ((1, 1), (0, 0)))
    np.testing.assert_allclose(layer.forward(x), ref, rtol=1e-12, atol=1e-12)


def test_depthwise_forward_matches_tflite_definition():
    layer = build64(nn.DepthwiseConv2D(3, strides=1, padding="same", depth_multiplier=2), (5, 4, 3))
    assert layer.params["W"].shape == (1, 3, 3, 6)
    x = np.random.default_rng(0).normal(size=(2, 5, 4, 3))
    ref = naive_conv(x, layer.params["W"], layer.params["b"], (1, 1), ((1, 1), (1, 1)),
                     depthwise_mult=2)
    np.testing.assert_allclose(layer.forward(x), ref, rtol=1e-12, atol=1e-12)


def test_dense_layout_is_out_by_in():
    layer = build64(nn.Dense(3), (5,))
    assert layer.params["W"].shape == (3, 5)
    x = np.random.default_rng(0).normal(size=(2, 5))
    ref = np.array([[sum(x[n, i] * layer.params["W"][o, i] for i in range(5)) + layer.params["b"][o]
                     for o in range(3)] for n in range(2)])
    np.testing.assert_allclose(layer.forward(x), ref, rtol=1e-12)


def test_pooling_same_padding_semantics():
    x = np.arange(1, 1 + 3 * 3, dtype=float).reshape(1, 3, 3, 1)
    # 2x2 windows, stride 2, SAME on 3x3: out 2x2, padding 1 after (bottom/right).
    avg = build64(nn.AvgPool2D(2, padding="same"), (3, 3, 1)).forward(x)[0, :, :, 0]
    mx = build64(nn.MaxPool2D(2, padding="same"), (3, 3, 1)).forward(-x)[0, :, :, 0]
    # Averages only over real pixels (TFLite): [[1,2,4,5],[3,6],[7,8],[9]].
    np.testing.assert_allclose(avg, [[3.0, 4.5], [7.5, 9.0]])
    # Padding never wins, even when every real value is negative.
    np.testing.assert_allclose(mx, [[-1.0, -3.0], [-7.0, -9.0]])


def test_global_avg_pool_and_flatten_order():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(build64(nn.GlobalAvgPool(), (3, 4, 5)).forward(x),
                               x.mean(axis=(1, 2)))
    flat = build64(nn.Flatten(), (3, 4, 5)).forward(x)
    assert flat[1, (2 * 4 + 1) * 5 + 3] == x[1, 2, 1, 3]  # NHWC (C order) flattening


def test_float32_in_float32_out():
    layer = nn.Conv2D(2, 3, padding="same")
    layer.build((4, 4, 1), np.random.default_rng(0))
    y = layer.forward(np.ones((1, 4, 4, 1), np.float32))
    assert y.dtype == np.float32 and layer.params["W"].dtype == np.float32


def test_bad_configs_raise():
    with pytest.raises(ValueError):
        nn.Conv2D(3, 3, padding="full")
    with pytest.raises(ValueError):
        nn.Dense(3, activation="tanh")
    with pytest.raises(ValueError):
        nn.Sequential([nn.Dense(3)], input_shape=(4, 4, 1))  # Dense needs Flatten first
    with pytest.raises(ValueError):
        nn.Sequential([nn.Conv2D(1, 5)], input_shape=(3, 3, 1))  # kernel larger than input
