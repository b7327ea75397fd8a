"""Device kernels (viper and plain twins) against the numpy reference.

Random one-layer models from quant.randmodel go through qmodel.prepare(); the
prepared integers are turned into the kernels' arguments exactly as the
engine will (bias with the input offset folded in, conv inputs padded with
in_zp by pad(), p arrays), staged as a file, and run by
tests/device/kernel_cases.py on each target, which prints both outputs as hex.
"""
import json
import os
import re
import time

import numpy as np
import pytest

from microlearn_host.quant import ops, prepare, qmodel, randmodel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N_CASES = 50
MAX_MACS = 6000      # keeps the plain-Python twins quick under QEMU
KINDS = {'fc': 'FULLY_CONNECTED', 'conv': 'CONV_2D', 'dwconv': 'DEPTHWISE_CONV_2D',
         'avgpool': 'AVERAGE_POOL_2D', 'maxpool': 'MAX_POOL_2D', 'mean': 'MEAN', 'add': 'ADD',
         'pad': None}
INT32 = 1 << 31


def _legal(acc, shift):
    """The kernels assume acc << max(shift, 0) stays inside int32 (the host refuses other models)."""
    left = np.maximum(np.asarray(shift, np.int64), 0)
    v = np.asarray(acc, np.int64) * (np.int64(1) << left)
    return bool(np.all((v >= -INT32) & (v < INT32)))


def _i32(a):
    return np.ascontiguousarray(a, dtype='<i4')


def _conv_args(p, x, kind, w, b):
    """pad p, conv/dwconv p, flat weights and folded bias, or None if not legal."""
    h, wd, c = x.shape
    zp = p['in_zp'][0]
    oh, ow, oc = p['out_shape']
    kh, kw, sh, sw = p['filter_h'], p['filter_w'], p['stride_h'], p['stride_w']
    ph = max((oh - 1) * sh + kh, p['pad_h'] + h)
    pw = max((ow - 1) * sw + kw, p['pad_w'] + wd)
    pad_p = [h, wd, c, p['pad_h'], p['pad_w'], ph, pw, zp]
    pt = ops._patches(x, p, zp) - zp
    if kind == 'conv':
        acc = np.einsum('abhwi,ohwi->abo', pt, w.astype(np.int64)) + b
        fold = b - zp * w.astype(np.int64).sum(axis=(1, 2, 3))
        m = oc
    else:
        dm = p['depth_multiplier']
        acc = np.einsum('abhwc,hwc->abc', np.repeat(pt, dm, axis=-1), w[0].astype(np.int64)) + b
        fold = b - zp * w[0].astype(np.int64).sum(axis=(0, 1))
        m = dm
    if not _legal(acc, p['shift']):
        return None
    kp = [ph, pw, c, oh, ow, m, kh, kw, sh, sw, p['out_zp'], p['act_min'], p['act_max']]
    return pad_p, kp, fold


def make_case(rng, kind):
    """(inputs, int32 arrays, p, extra, reference output) or None to draw again."""
    if kind == 'pad':
        h, w, c = (int(v) for v in rng.integers(1, 9, size=3))
        top, left, bot, right = (int(v) for v in rng.integers(0, 3, size=4))
        fill = int(rng.integers(-128, 128))
        x = rng.integers(-128, 128, size=(h, w, c)).astype(np.int8)
        ref = np.full((h + top + bot, w + left + right, c), fill, np.int8)
        ref[top:top + h, left:left + w] = x
        return [x], [], [h, w, c, top, left, h + top + bot, w + left + right, fill], None, ref
    model = randmodel.random_layer_model(rng, KINDS[kind])
    p = prepare(model)[-1]
    L = model.layers[-1]
    shapes = p['in_shapes']
    xs = [randmodel.random_input(rng, qmodel.QModel(s, 1.0, 0, [])) for s in shapes]
    x = xs[0]
    if kind == 'fc':
        w = L.weights.astype(np.int64)
        b = L.bias.astype(np.int64)
        xv = x.reshape(-1).astype(np.int64) - p['in_zp'][0]
        if w.size > MAX_MACS // 15 or not _legal(w @ xv + b, p['shift']):
            return None
        fold = b - p['in_zp'][0] * w.sum(axis=1)
        kp = [w.shape[1], w.shape[0], p['out_zp'], p['act_min'], p['act_max']]
        ref = ops.fully_connected(x, p, L.weights, L.bias)
        return [x, L.weights], [fold, p['mult'], p['shift']], kp, None, ref
    if kind in ('conv', 'dwconv'):
        if np.prod(p['out_shape']) * L.weights[0].size > MAX_MACS:
            return None
        r = _conv_args(p, x, kind, L.weights, L.bias.astype(np.int64))
        if r is None:
            return None
        pad_p, kp, fold = r
        ref = (ops.conv2d if kind == 'conv' else ops.depthwise_conv2d)(x, p, L.weights, L.bias)
        return [x, L.weights], [fold, p['mult'], p['shift']], kp, pad_p, ref
    if kind in ('avgpool', 'maxpool'):
        h, w, c = x.shape
        oh, ow, _ = p['out_shape']
        kp = [h, w, c, oh, ow, p['filter_h'], p['filter_w'], p['stride_h'], p['stride_w'],
              p['pad_h'], p['pad_w'], p['act_min'], p['act_max']]
        ref = (ops.average_pool2d if kind == 'avgpool' else ops.max_pool2d)(x, p)
        return [x], [], kp, None, ref
    if kind == 'mean':
        h, w, c = x.shape
        acc = (x.astype(np.int64) - p['in_zp'][0]).sum(axis=(0, 1))
        if not _legal(acc, p['shift']):
            return None
        kp = [h * w, c, p['in_zp'][0], p['out_zp'], p['mult'], p['shift']]
        return [x], [], kp, None, ops.mean_hw(x, p)
    if kind == 'add':
        kp = [x.size, -p['in_zp'][0], -p['in_zp'][1], p['left_shift'],
              p['input1_multiplier'], p['input1_shift'], p['input2_multiplier'], p['input2_shift'],
              p['output_multiplier'], p['output_shift'], p['out_zp'], p['act_min'], p['act_max']]
        assert max(kp[5], kp[7], kp[9]) <= 0  # multipliers < 1: no left shift in ADD
        return xs, [], kp, None, ops.add(xs[0], xs[1], p)
    raise ValueError(kind)


def build(kind, n=N_CASES, seed=0):
    """The staged file and the expected outputs of n cases of one kernel.

    cases.bin is a sequence of records, read one at a time so that the board
    never holds more than one case: u16 json length, u16 data length (little
    endian), the JSON (id, k = kernel, p = params, b = [offset, length] of
    int8 inputs, w = [offset, count] of int32 arrays, 4-aligned, n = output
    bytes, pad = p for pad() when a conv input is padded first), the data.
    """
    rng = np.random.default_rng([seed, sorted(KINDS).index(kind)])
    blob, want = bytearray(), {}
    while len(want) < n:
        case = make_case(rng, kind)
        if case is None:
            continue
        ins, arrs, kp, pad_p, ref = case
        cid = len(want)
        rec = {'id': cid, 'k': kind, 'p': [int(v) for v in kp], 'b': [], 'w': [], 'n': int(ref.size)}
        data = bytearray()
        for a in ins:
            rec['b'].append([len(data), int(a.size)])
            data += np.ascontiguousarray(a, np.int8).tobytes()
        for a in arrs:
            data += bytes(-len(data) % 4)        # 4-aligned: the device views them as int32
            a = np.asarray(a, np.int64)
            assert np.all((a >= -INT32) & (a < INT32))
            rec['w'].append([len(data), int(a.size)])
            data += _i32(a).tobytes()
        if pad_p is not None:
            rec['pad'] = [int(v) for v in pad_p]
        js = json.dumps(rec, separators=(',', ':')).encode()
        blob += np.array([len(js), len(data)], '<u2').tobytes() + js + data
        want[cid] = ref.astype(np.int8).reshape(-1)
    return {'cases.bin': bytes(blob)}, want


def _first_diff(got, want):
    if got.size != want.size:
        return "size %d, want %d" % (got.size, want.size)
    i = int(np.flatnonzero(got != want)[0])
    return "element %d: got %d, want %d" % (i, got[i], want[i])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kernels_vs_reference(kind, target, run_device):
    files, want = build(kind)
    assert len(files['cases.bin']) < 24000   # staged into the board's heap
    t0 = time.monotonic()
    # expect_ok=False: per-case differences below say more than the device's own viper == twin check
    res = run_device(target, "kernel_cases.py", files=files, expect_ok=False)
    assert res.ok, res.describe()
    vals = res.values()
    assert vals.get("count") == len(want), res.describe()
    bad = []
    for cid, ref in want.items():
        k, *outs = vals[str(cid)]
        for impl, hx in zip(("viper", "twin"), outs):
            got = np.frombuffer(bytes.fromhex(hx), np.int8)
            if got.size != ref.size or np.any(got != ref):
                bad.append("case %d %s (%s): %s" % (cid, k, impl, _first_diff(got, ref)))
    print("%s %s: %d cases, %.1f s" % (target, kind, len(want), time.monotonic() - t0))
    assert not bad, "%d mismatches on %s:\n%s" % (len(bad), target, "\n".join(bad[:20]))
    assert not res.failed() and any(r.get("done") for r in res.results), res.describe()


def test_requantize_blocks_identical():
    """The requantize block is copied into every viper kernel: all copies must match."""
    blocks = []
    for name in ("kernels_viper.py", "kernels_viper32.py", "kernels_viper_pair.py",
                 "kernels_viper_pool.py"):
        with open(os.path.join(ROOT, "device", "microlearn", name)) as f:
            src = f.read()
        for m in re.finditer(r"\n( *)# -- requantize.*?# -- end requantize --", src, re.S):
            ind = len(m.group(1))
            blocks.append("\n".join(l[ind:] for l in m.group(0).strip("\n").split("\n")))
    assert len(blocks) == 8   # fc, conv, dwconv, conv and dwconv on words, conv on pairs, mean, add
    assert all(b == blocks[0] for b in blocks[1:])
