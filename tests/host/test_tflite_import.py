"""import_tflite(write(model)) round-trips; unsupported graphs are rejected clearly."""
import numpy as np
import pytest
from tflite.BuiltinOperator import BuiltinOperator

from microlearn_host.quant import QLayer, QModel, randmodel, reference
from microlearn_host.tflite import importer, writer

SALT = 77


def f32(x):
    return np.asarray(x, np.float32).astype(np.float64)


def assert_same_model(a, b, ctx):
    assert tuple(b.input_shape) == tuple(a.input_shape), ctx
    assert b.input_scale == f32(a.input_scale) and b.input_zp == a.input_zp, ctx
    assert len(a.layers) == len(b.layers), ctx
    for i, (x, y) in enumerate(zip(a.layers, b.layers)):
        c = f"{ctx}, layer {i} ({x.op})"
        assert (y.op, list(y.inputs), tuple(y.out_shape), y.out_zp, y.act) == \
            (x.op, list(x.inputs), tuple(x.out_shape), x.out_zp, x.act), c
        assert y.out_scale == f32(x.out_scale), c
        for name in ('weights', 'bias'):
            u, v = getattr(x, name), getattr(y, name)
            if u is None:
                assert v is None or not np.any(v), c
            else:
                assert v.dtype == u.dtype, c
                np.testing.assert_array_equal(v, u, err_msg=c)
        if x.w_scales is not None:
            np.testing.assert_array_equal(y.w_scales, f32(x.w_scales), err_msg=c)
        for key, val in x.opts.items():
            if key == 'beta':
                assert y.opts[key] == f32(val), c
            else:
                assert y.opts.get(key, 1 if key == 'depth_multiplier' else None) == val, c


def _roundtrip(m, rng, ctx):
    data = writer.write(m)
    assert data[4:8] == b'TFL3'
    m2 = importer.import_tflite(data)
    assert_same_model(m, m2, ctx)
    x = randmodel.random_input(rng, m)
    for r1, r2 in zip(reference.run(m, x), reference.run(m2, x)):
        np.testing.assert_array_equal(r1, r2, err_msg=ctx)
    # writing the imported model again gives identical bytes
    assert writer.write(m2) == writer.write(importer.import_tflite(writer.write(m2))), ctx


@pytest.mark.parametrize("op", randmodel.OPS)
def test_roundtrip_single_op(op):
    k = randmodel.OPS.index(op)
    for seed in range(8):
        rng = np.random.default_rng([SALT, k, seed])
        _roundtrip(randmodel.random_layer_model(rng, op), rng, f"{op} seed [{SALT}, {k}, {seed}]")


def test_roundtrip_small_models():
    for seed in range(30):
        rng = np.random.default_rng([SALT, 100, seed])
        _roundtrip(randmodel.random_small_model(rng), rng, f"small seed [{SALT}, 100, {seed}]")


def _fc_model():
    w = np.arange(12, dtype=np.int8).reshape(3, 4)
    return QModel((4,), 0.1, 0, [QLayer('FULLY_CONNECTED', [0], (3,), 0.2, 1, 'RELU', w,
                                        np.array([1, 2, 3], np.int32), np.array([0.01, 0.02, 0.03]))])


def test_unsupported_operator_named():
    m = _fc_model()
    g, ids = writer.build_graph(m)
    out = g.tensor((1, 3), np.int8, [1 / 256], [-128])
    g.op(BuiltinOperator.LOGISTIC, [ids[-1]], [out])
    data = writer.serialize(g, [ids[0]], [out])
    with pytest.raises(ValueError, match=r"unsupported operator LOGISTIC at op 1"):
        importer.import_tflite(data)


def test_non_int8_rejected():
    g, ids = writer.build_graph(_fc_model())
    g.tensors[ids[0]]['dtype'] = np.dtype(np.float32)
    with pytest.raises(ValueError, match=r"FLOAT32.*int8"):
        importer.import_tflite(writer.serialize(g, [ids[0]], [ids[-1]]))
    g, ids = writer.build_graph(_fc_model())
    g.tensors[ids[-1]]['dtype'] = np.dtype(np.int32)
    with pytest.raises(ValueError, match=r"op 0 \(FULLY_CONNECTED\) output.*INT32"):
        importer.import_tflite(writer.serialize(g, [ids[0]], [ids[-1]]))


def test_write_all_outputs_lists_every_layer():
    import tflite
    rng = np.random.default_rng([SALT, 500])
    m = randmodel.random_small_model(rng)
    sg = tflite.Model.GetRootAs(writer.write(m, outputs='all'), 0).Subgraphs(0)
    assert sg.OutputsLength() == len(m.layers)


def _gap_model(rng):
    """CONV -> MEAN over H,W -> FC, the shape of Keras' GlobalAveragePooling2D + Dense."""
    w = rng.integers(-127, 128, size=(6, 3, 3, 2)).astype(np.int8)
    fc = rng.integers(-127, 128, size=(4, 6)).astype(np.int8)
    return QModel((5, 7, 2), 0.05, 3, [
        QLayer('CONV_2D', [0], (5, 7, 6), 0.08, -5, 'RELU', w,
               rng.integers(-500, 500, 6).astype(np.int32), rng.uniform(0.002, 0.01, 6),
               dict(stride_h=1, stride_w=1, padding='SAME')),
        QLayer('MEAN', [1], (1, 1, 6), 0.03, 2),
        QLayer('FULLY_CONNECTED', [2], (4,), 0.1, 0, 'NONE', fc,
               rng.integers(-500, 500, 4).astype(np.int32), rng.uniform(0.002, 0.01, 4))])


def _keras_gap_tflite(rng):
    """_gap_model as Keras writes it: MEAN with keep_dims=False and a (1, C) output."""
    from tflite.BuiltinOptions import BuiltinOptions
    g, ids = writer.build_graph(_gap_model(rng))
    k = 1   # the MEAN op: rewrite its options and output shape
    code, ins, outs, _, _ = g.ops[k]
    g.ops[k] = (code, ins, outs, BuiltinOptions.ReducerOptions,
                lambda b: writer._table(b, 'ReducerOptions', KeepDims=False))
    g.tensors[outs[0]]['shape'] = [1, 6]
    return writer.serialize(g, [ids[0]], [ids[-1]])


def test_mean_without_keep_dims_matches_tflite_micro():
    """Keras exports GlobalAveragePooling2D as MEAN(axes [1, 2], keep_dims=False)."""
    from microlearn_host import modelfile
    from microlearn_host.tflite import oracle
    for seed in range(5):
        rng = np.random.default_rng([SALT, 600, seed])
        data = _keras_gap_tflite(rng)
        m2 = importer.import_tflite(data)
        assert tuple(m2.layers[1].out_shape) == (6,)
        orc = oracle.Oracle(data)
        for level in (0.05, 0.5, 1.0):
            x = randmodel.random_input(rng, m2, level)
            want = np.asarray(orc.run(x)[0]).reshape(-1)
            np.testing.assert_array_equal(reference.run(m2, x)[-1].reshape(-1), want,
                                          err_msg=f"seed {seed}, level {level}")
        # and the imported model goes on: back to .tflite (same arithmetic) and to .mlm
        orc2 = oracle.Oracle(writer.write(m2))
        x = randmodel.random_input(rng, m2, 0.5)
        np.testing.assert_array_equal(np.asarray(orc2.run(x)[0]).reshape(-1),
                                      np.asarray(orc.run(x)[0]).reshape(-1))
        modelfile.read(modelfile.write(m2))


def test_mean_without_keep_dims_runs_on_the_boards():
    """The imported model's .mlm (MEAN output rank 1) on the device engine == reference."""
    from microlearn_host.board import device_eval
    rng = np.random.default_rng([SALT, 601])
    m = importer.import_tflite(_keras_gap_tflite(rng))
    x = rng.normal(0, 3, size=(20,) + tuple(m.input_shape)).astype(np.float32)
    for board in ("unix32", "m0"):
        device_eval.compare(m, device_eval.run(m, x, board), board)


def test_custom_operator_named():
    m = _fc_model()
    g, ids = writer.build_graph(m)
    out = g.tensor((1, 3), np.int8, [1 / 256], [-128])
    g.op((BuiltinOperator.CUSTOM, "TFLite_Detection_PostProcess"), [ids[-1]], [out])
    with pytest.raises(ValueError, match=r"custom operator 'TFLite_Detection_PostProcess' at op 1"):
        importer.import_tflite(writer.serialize(g, [ids[0]], [out]))


def test_metadata_keeps_normalisation_and_names_and_tflm_accepts_it():
    from microlearn_host.tflite import oracle
    rng = np.random.default_rng([SALT, 700])
    m = _gap_model(rng)
    m.mean = np.array([0.25, -3.5], np.float32)
    m.std = np.array([1.5, 1e-3], np.float32)
    m.class_names = ["yes", "no", "up", "ünïcode"]
    data = writer.write(m)
    m2 = importer.import_tflite(data)
    np.testing.assert_array_equal(m2.mean, m.mean)
    np.testing.assert_array_equal(m2.std, m.std)
    assert m2.class_names == m.class_names
    x = randmodel.random_input(rng, m, 0.5)
    np.testing.assert_array_equal(np.asarray(oracle.Oracle(data).run(x)[0]).reshape(-1),
                                  reference.run(m, x)[-1].reshape(-1))
    # a model without them writes no metadata and imports without them
    m.mean = m.std = None
    m.class_names = []
    m3 = importer.import_tflite(writer.write(m))
    assert m3.mean is None and m3.std is None and m3.class_names == []
