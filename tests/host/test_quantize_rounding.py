"""ops.quantize rounds exactly like tflite-micro's QUANTIZE (std::round, half
away from zero) on float32 quotients next to .5, where floor(|y| + 0.5) in
float32 goes wrong (0.49999997 + 0.5 == 1.0f). tflite-micro decides."""
import numpy as np
import pytest

from microlearn_host.quant import ops
from microlearn_host.tflite import oracle, writer

F = np.float32


def _tflm_quantize(x, scale, zp):
    from tflite.BuiltinOperator import BuiltinOperator
    g = writer._Graph()
    t_in = g.tensor((1, x.size), np.float32)
    t_q = g.tensor((1, x.size), np.int8, [float(F(scale))], [zp])
    g.op(BuiltinOperator.QUANTIZE, [t_in], [t_q])
    return oracle.Oracle(writer.serialize(g, [t_in], [t_q])).run(x.astype(np.float32))[0]


def _near_halves():
    """k + 0.5 and its float32 neighbours, both signs, up to where .5 still exists."""
    ks = np.concatenate([np.arange(0, 130), [255, 1000, 4095, 65535, (1 << 22) - 1, (1 << 22)]])
    h = (ks + 0.5).astype(np.float32)
    v = np.concatenate([h, np.nextafter(h, F(0)), np.nextafter(h, F(np.inf))])
    # 2**23 - 0.5 is the last representable half; above 2**23 all float32 are integers
    v = np.concatenate([v, [F(2 ** 23 - 0.5), np.nextafter(F(2 ** 23), F(0)), F(2 ** 23), F(2 ** 23 + 2)]])
    return np.concatenate([v, -v])


def test_the_reported_value():
    x = np.array([0.49999997, -0.49999997], np.float32)
    assert x[0] == np.nextafter(F(0.5), F(0))
    want = _tflm_quantize(x, 1.0, 0)
    np.testing.assert_array_equal(want, [0, 0])   # std::round; abs(x)+0.5 in float32 gives 1
    np.testing.assert_array_equal(ops.quantize(x, 1.0, 0), want)


@pytest.mark.parametrize("scale, zp", [(1.0, 0), (1.0, -128), (1.0, 127), (2.0 ** -8, 0),
                                       (2.0 ** 10, 3), (0.1, -7), (3.7e-3, 20)])
def test_near_half_quotients_vs_tflm(scale, zp):
    """Quotients x / scale next to .5 (exact for power-of-two scales; for the
    others x is chosen so that the float32 quotient lands on or next to .5)."""
    y = _near_halves()
    s = F(scale)
    x = y * s
    # nudge x so that float32(x / s) hits y where possible (non power-of-two scales)
    for _ in range(2):
        q = x / s
        x = np.where(q < y, np.nextafter(x, np.copysign(F(np.inf), s)), x)
        x = np.where(x / s > y, np.nextafter(x, -np.copysign(F(np.inf), s)), x)
    q = x / s
    frac = np.abs(q - np.trunc(q))
    assert np.any(frac == 0.5) and np.any((frac > 0.4999) & (frac < 0.5)) and np.any((frac > 0.5) & (frac < 0.5001))
    np.testing.assert_array_equal(ops.quantize(x, scale, zp), _tflm_quantize(x, scale, zp),
                                  err_msg=f"scale {scale} zp {zp}")


def test_random_float32_bits_vs_tflm():
    """Random float32 quotients in the int8 range, with many just under/over .5."""
    rng = np.random.default_rng(20250611)
    y = rng.uniform(-140, 140, 4000).astype(np.float32)
    t = np.trunc(y) + np.sign(y) * F(0.5)
    steps = rng.integers(-3, 4, 4000)
    near = t.copy()
    for i in range(near.size):
        for _ in range(abs(int(steps[i]))):
            near[i] = np.nextafter(near[i], F(np.inf) if steps[i] > 0 else F(-np.inf))
    x = np.concatenate([y, near]).astype(np.float32)
    for zp in (0, -128, 50):
        np.testing.assert_array_equal(ops.quantize(x, 1.0, zp), _tflm_quantize(x, 1.0, zp))
