"""numpy reference engine == tflite-micro, bit for bit, on generated models.

Every layer output is compared (the writer lists all layer outputs as graph
outputs). Seeds are deterministic: numpy.random.default_rng([SALT, op, seed]).
"""
import numpy as np
import pytest

from microlearn_host.quant import QLayer, QModel, ops, prepare, qmath, randmodel, reference
from microlearn_host.tflite import oracle, writer

SEEDS_PER_OP = 100         # 9 ops x 100 = 900 single-op models
SMALL_MODELS = 300
SALT = 20240611
SATURATION = (0.05, 0.5, 1.0)   # one input per level; 1.0 = all -128/127


def assert_exact(ref, got, ctx):
    """assert_array_equal with the seed, layer and first differing element."""
    got = np.asarray(got)
    ref = np.asarray(ref).reshape(got.shape)
    if not np.array_equal(ref, got):
        idx = tuple(int(i) for i in np.argwhere(ref != got)[0])
        msg = (f"{ctx}: first difference at {idx}: reference {int(ref[idx])} "
               f"!= tflite-micro {int(got[idx])} ({int((ref != got).sum())} of {ref.size} differ)")
        np.testing.assert_array_equal(ref, got, err_msg=msg)


def check_model(m, rng, ctx):
    params = prepare(m)
    orc = oracle.Oracle(writer.write(m, outputs='all'))
    for sat in SATURATION:
        x = randmodel.random_input(rng, m, saturate=sat)
        ref = reference.run(m, x, params)
        got = orc.run(x)
        assert len(ref) == len(got) == len(m.layers)
        for li, (r, g) in enumerate(zip(ref, got)):
            assert_exact(r, g, f"{ctx}, saturation {sat}, layer {li} ({m.layers[li].op})")


@pytest.mark.parametrize("op", randmodel.OPS)
def test_single_op_models(op):
    k = randmodel.OPS.index(op)
    for seed in range(SEEDS_PER_OP):
        rng = np.random.default_rng([SALT, k, seed])
        m = randmodel.random_layer_model(rng, op)
        check_model(m, rng, f"op {op}, seed [{SALT}, {k}, {seed}]")


def test_small_models():
    for seed in range(SMALL_MODELS):
        rng = np.random.default_rng([SALT, 100, seed])
        m = randmodel.random_small_model(rng)
        check_model(m, rng, f"small model, seed [{SALT}, 100, {seed}]")


def _fc(w, scales, in_scale, out_scale, out_zp=0, act='NONE', bias=None):
    n = w.shape[0]
    b = np.zeros(n, np.int32) if bias is None else bias
    return QLayer('FULLY_CONNECTED', [0], (n,), out_scale, out_zp, act, w.astype(np.int8), b,
                  np.asarray(scales, np.float64))


def test_fc_extreme_multipliers():
    """Hand-picked channels: flushed (<2**-32), shift -31, exactly 0.5, 1.0, >1."""
    k = 64
    w = np.full((6, k), 127, np.int8)
    w[1::2] = -128
    mults = np.array([2.0 ** -33, 2.0 ** -31.5, 0.5, 1.0, 2.9, 7.99])
    in_scale, out_scale = 0.02, 0.05
    m = QModel((k,), in_scale, -128,
               [_fc(w, mults * out_scale / in_scale, in_scale, out_scale, 3, 'RELU6')])
    rng = np.random.default_rng([SALT, 200])
    check_model(m, rng, "fc extreme multipliers")


def test_softmax_extremes():
    """Tiny and huge input scales (diff_min 0 ... full range) and beta != 1."""
    for j, (scale, beta) in enumerate([(2.0 ** -25, 1.0), (1e-3, 1.0), (0.5, 1.0),
                                       (8.0, 1.0), (100.0, 1.0), (0.1, 0.25), (0.1, 3.0)]):
        m = QModel((40,), scale, 0, [QLayer('SOFTMAX', [0], (40,), 1 / 256, -128,
                                            opts=dict(beta=beta))])
        check_model(m, np.random.default_rng([SALT, 300, j]), f"softmax scale {scale} beta {beta}")


# ---- validation of the IR (prepare) ----------------------------------------

def test_prepare_rejects_bad_models():
    ok = QModel((4,), 0.1, 0, [_fc(np.ones((3, 4)), [0.01] * 3, 0.1, 0.1)])
    prepare(ok)
    bad_shape = QModel((5,), 0.1, 0, [_fc(np.ones((3, 4)), [0.01] * 3, 0.1, 0.1)])
    with pytest.raises(ValueError, match=r"layer 0 \(FULLY_CONNECTED\).*5 elements"):
        prepare(bad_shape)
    fwd = QModel((4,), 0.1, 0, [ok.layers[0], QLayer('SOFTMAX', [2], (3,), 1 / 256, -128)])
    with pytest.raises(ValueError, match=r"layer 1 \(SOFTMAX\).*input tensor id 2"):
        prepare(fwd)
    sm = QModel((4,), 0.1, 0, [QLayer('SOFTMAX', [0], (4,), 0.1, 0)])
    with pytest.raises(ValueError, match=r"layer 0 \(SOFTMAX\).*1/256"):
        prepare(sm)
    pool = QModel((4, 4, 2), 0.1, 0, [QLayer('MAX_POOL_2D', [0], (2, 2, 2), 0.2, 0,
                                             opts=dict(filter_h=2, filter_w=2, stride_h=2,
                                                       stride_w=2, padding='VALID'))])
    with pytest.raises(ValueError, match=r"layer 0 \(MAX_POOL_2D\).*scale"):
        prepare(pool)
    conv = QModel((4, 4, 2), 0.1, 0, [QLayer('CONV_2D', [0], (4, 4, 3), 0.1, 0,
                                             weights=np.ones((3, 3, 3, 2), np.int8),
                                             bias=np.zeros(3, np.int32), w_scales=np.ones(3),
                                             opts=dict(padding='VALID'))])
    with pytest.raises(ValueError, match=r"layer 0 \(CONV_2D\): out_shape \(4, 4, 3\).*\(2, 2, 3\)"):
        prepare(conv)


def test_left_shift_overflow_wraps_like_tflm():
    """acc * 2**shift beyond int32 wraps in TFLM's C++ (strictly UB); we mirror it."""
    w = np.full((2, 64), 127, np.int8)
    w[1] = -128
    for j, mult in enumerate([2.0 ** 20, 2.0 ** 13 * 1.37, 300.0]):
        m = QModel((64,), 1.0, -128, [_fc(w, [mult, mult], 1.0, 1.0)])
        check_model(m, np.random.default_rng([SALT, 400, j]), f"fc overflow multiplier {mult}")


@pytest.mark.parametrize("scale, zp", [(0.5, 0), (0.25, -128), (0.0123, 5), (3.7e-3, 127), (1e-6, 0)])
def test_quantize_dequantize_vs_tflm(scale, zp):
    """ops.quantize / ops.dequantize against TFLM's QUANTIZE / DEQUANTIZE kernels,
    including exact .5 ties (power-of-two scales)."""
    from tflite.BuiltinOperator import BuiltinOperator
    n = 200
    g = writer._Graph()
    t_in = g.tensor((1, n), np.float32)
    t_q = g.tensor((1, n), np.int8, [float(np.float32(scale))], [zp])
    t_dq = g.tensor((1, n), np.float32)
    g.op(BuiltinOperator.QUANTIZE, [t_in], [t_q])
    g.op(BuiltinOperator.DEQUANTIZE, [t_q], [t_dq])
    orc = oracle.Oracle(writer.serialize(g, [t_in], [t_q, t_dq]))
    rng = np.random.default_rng([SALT, 500])
    x = np.concatenate([(np.arange(-50, 50) + 0.5) * scale,
                        rng.normal(0, 100 * scale, 100)]).astype(np.float32)
    q, dq = orc.run(x)
    assert_exact(ops.quantize(x, scale, zp), q, f"quantize scale {scale} zp {zp}")
    np.testing.assert_array_equal(ops.dequantize(q, scale, zp), dq)


def test_fc_multiplier_uses_double_products():
    """Scales where float32(in*w)/out and double in*w/out quantise to different
    multipliers, with an input chosen so the outputs differ: TFLM (per-tensor
    and per-channel FC alike) follows the double product. Random tests rarely
    hit such a case, hence this targeted one."""
    rng = np.random.default_rng([SALT, 600])
    xs, ws = np.arange(-128, 128), np.arange(-127, 128)
    accs = xs[:, None] * ws[None, :]
    found = 0
    while found < 4:
        a, w = float(np.float32(10 ** rng.uniform(-2, 0))), float(np.float32(10 ** rng.uniform(-2, -1)))
        o = float(np.float32(a * w * 10 ** rng.uniform(1, 2.5)))
        rd = qmath.quantize_multiplier(a * w / o)
        rf = qmath.quantize_multiplier(float(np.float32(a) * np.float32(w)) / o)
        yd = qmath.multiply_by_quantized_multiplier(accs, *rd)
        yf = qmath.multiply_by_quantized_multiplier(accs, *rf)
        hit = np.argwhere((yd != yf) & (np.abs(yd) < 120))
        if rd == rf or len(hit) == 0:
            continue
        i, j = hit[0]
        for n in (1, 3):
            W = np.zeros((n, 4), np.int8)
            W[:, 0] = ws[j]
            m = QModel((4,), a, 0, [_fc(W, [w] * n, a, o)])
            x = np.array([xs[i], 0, 0, 0], np.int8)
            got = oracle.run_model(m, x)[0]
            assert_exact(reference.run(m, x)[0], got, f"fc n_out={n} scales {a} {w} {o}")
            assert got[0] == yd[i, j]
        found += 1
