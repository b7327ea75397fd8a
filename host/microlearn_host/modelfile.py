"""The microlearn model file (.mlm): QModel -> bytes and back (docs/format.md).

write() runs quant.qmodel.prepare(), folds the input zero point into the
biases, builds every kernel's `p` array, plans the activation arena and
appends a CRC32. read() parses and validates a file (for tests and tools);
the device parser is device/microlearn/modelfile.py.
"""
import binascii
import struct

import numpy as np

from .quant import ops, qmath
from .quant.qmodel import prepare, f32

MAGIC = b"MLRN"
VERSION = 1
HEADER = struct.Struct("<4sHHIIHHIII")     # 32 bytes
TENSOR = struct.Struct("<HHHBbfII")         # 20 bytes: dims, rank, zp, scale, arena offset, size
LAYER = struct.Struct("<BBBBHHIIIIbbbb")   # 28 bytes, then pad p, then kernel p (int32 each)
OPS = ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D',
       'MAX_POOL_2D', 'MEAN', 'RESHAPE', 'ADD', 'SOFTMAX')
OP_CODE = {name: i + 1 for i, name in enumerate(OPS)}
# kernel p lengths per op code (docs/format.md)
P_LEN = {'FULLY_CONNECTED': 5, 'CONV_2D': 13, 'DEPTHWISE_CONV_2D': 13, 'AVERAGE_POOL_2D': 13,
         'MAX_POOL_2D': 13, 'MEAN': 6, 'RESHAPE': 0, 'ADD': 13, 'SOFTMAX': 2}
PAD_P_LEN = 8
SOFTMAX_MAX_DEPTH = 511    # sum of exps stays < 2**28, so the final shift stays <= 31
MAX_DIM = 0xFFFF


def _align4(n):
    return (n + 3) & ~3


def _shape3(shape):
    s = tuple(int(d) for d in shape)
    if not 1 <= len(s) <= 3 or any(not 1 <= d <= MAX_DIM for d in s):
        raise ValueError(f"shape {s} not representable (rank 1-3, dims 1..{MAX_DIM})")
    return s + (1,) * (3 - len(s)), len(s)


def _check_acc(i, op, w2d, bias, bias_f, shift):
    """Refuse layers whose int32 accumulator (or its left shift) could overflow."""
    sw = np.abs(w2d.astype(np.int64)).sum(axis=1)
    bound = np.maximum(np.abs(bias.astype(np.int64)), np.abs(bias_f)) + sw * 256
    if np.any(bound >= 1 << 31):
        o = int(np.argmax(bound))
        raise ValueError(f"layer {i} ({op}): int32 accumulator could overflow "
                         f"(channel {o}: |bias| + 256*sum|w| = {int(bound[o])})")
    left = np.maximum(np.asarray(shift, np.int64), 0)
    if np.any((bound << left) >= 1 << 31):
        o = int(np.argmax(bound << left))
        raise ValueError(f"layer {i} ({op}): accumulator * 2**{int(left[o])} could leave int32 "
                         f"(channel {o})")


def softmax_exp_table(p):
    """exp of the scaled difference for diff = 0, -1, ..., -255 (Q0.31 as TFLM
    computes it); 0 where diff < diff_min, which TFLM excludes."""
    diff = -np.arange(256, dtype=np.int64)
    scaled = qmath.multiply_by_quantized_multiplier_gt_one(
        diff, p['input_multiplier'], p['input_left_shift'])
    e = ops.exp_on_negative_values(scaled, 5).astype(np.int64)
    return np.where(diff >= p['diff_min'], e, 0).astype(np.int32)


def _layer_blob(i, L, p, in_zp):
    """(kernel p, pad p or None, blob bytes, scratch bytes) of one prepared layer."""
    op = L.op
    pad_p, scratch = None, 0
    out = p['out_shape']
    s = p['in_shapes'][0]
    if op in ('FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D'):
        w = L.weights.astype(np.int64)
        n_out = len(p['mult'])
        bias = np.zeros(n_out, np.int64) if L.bias is None else L.bias.astype(np.int64)
        w2d = w.reshape(n_out, -1) if op != 'DEPTHWISE_CONV_2D' else w.reshape(-1, n_out).T
        bias_f = bias - in_zp * w2d.sum(axis=1)
        _check_acc(i, op, w2d, bias, bias_f, p['shift'])
        if op == 'FULLY_CONNECTED':
            kp = [w.shape[1], n_out, p['out_zp'], p['act_min'], p['act_max']]
        else:
            h, wd, c = s
            kh, kw, sh, sw = p['filter_h'], p['filter_w'], p['stride_h'], p['stride_w']
            oh, ow = out[0], out[1]
            th = max((oh - 1) * sh + kh - h, 0)
            tw = max((ow - 1) * sw + kw - wd, 0)
            ph, pw = h + th, wd + tw
            if th or tw:   # padded cells must hold in_zp so that the folded bias stays exact
                pad_p = [h, wd, c, p['pad_h'], p['pad_w'], ph, pw, in_zp]
                scratch = ph * pw * c
            third = out[2] if op == 'CONV_2D' else p['depth_multiplier']
            kp = [ph, pw, c, oh, ow, third, kh, kw, sh, sw, p['out_zp'], p['act_min'], p['act_max']]
        wb = L.weights.astype(np.int8).tobytes()
        blob = (wb + bytes(_align4(len(wb)) - len(wb)) + bias_f.astype('<i4').tobytes()
                + np.asarray(p['mult'], '<i4').tobytes() + np.asarray(p['shift'], '<i4').tobytes())
    elif op in ('AVERAGE_POOL_2D', 'MAX_POOL_2D'):
        kp = [s[0], s[1], s[2], out[0], out[1], p['filter_h'], p['filter_w'], p['stride_h'],
              p['stride_w'], p['pad_h'], p['pad_w'], p['act_min'], p['act_max']]
        blob = b""
    elif op == 'MEAN':
        kp = [s[0] * s[1], s[2], in_zp, p['out_zp'], p['mult'], p['shift']]
        blob = b""
    elif op == 'RESHAPE':
        kp, blob = [], b""
    elif op == 'ADD':
        n = int(np.prod(s))
        kp = [n, -p['in_zp'][0], -p['in_zp'][1], p['left_shift'],
              p['input1_multiplier'], p['input1_shift'], p['input2_multiplier'], p['input2_shift'],
              p['output_multiplier'], p['output_shift'], p['out_zp'], p['act_min'], p['act_max']]
        blob = b""
    elif op == 'SOFTMAX':
        depth = s[-1]
        if depth > SOFTMAX_MAX_DEPTH:
            raise ValueError(f"layer {i} (SOFTMAX): depth {depth} > {SOFTMAX_MAX_DEPTH}")
        kp = [int(np.prod(s)) // depth, depth]
        blob = (np.array([p['input_multiplier'], p['input_left_shift'], p['diff_min']], '<i4').tobytes()
                + softmax_exp_table(p).astype('<i4').tobytes())
    else:  # pragma: no cover (prepare() rejects it first)
        raise ValueError(f"layer {i}: unsupported op {op}")
    return kp, pad_p, blob, scratch


def arena_plan(qmodel, params=None, extra=None):
    """Greedy-by-size offset planning of all activation buffers.

    Buffers: tensor 0 (the input), one output per layer, one padded-input
    scratch per padding conv/dw layer. A RESHAPE output aliases its input. A
    padding layer whose input is read by no later layer pads in place: its scratch
    starts at the input's offset (the input's buffer grows to the padded size).
    Returns (arena_size, tensor_offsets, scratch_offsets) with offsets 4-aligned.
    """
    params = prepare(qmodel) if params is None else params
    n = len(qmodel.layers)
    sizes = [int(np.prod(qmodel.input_shape))] + [int(np.prod(p['out_shape'])) for p in params]
    root = list(range(n + 1))
    for i, L in enumerate(qmodel.layers):
        if L.op == 'RESHAPE':
            root[i + 1] = root[L.inputs[0]]
    # lifetimes in layer steps: tensor t lives from its producer (t-1) to its last reader
    start = {t: t - 1 for t in range(n + 1)}
    end = {t: t - 1 for t in range(n + 1)}
    end[n] = n    # the output is read after the last layer
    for i, L in enumerate(qmodel.layers):
        for t in L.inputs:
            end[t] = max(end[t], i)
    bufs = {}    # key -> [size, start, end]
    for t in range(n + 1):
        r = root[t]
        b = bufs.setdefault(('t', r), [sizes[r], start[r], end[r]])
        b[2] = max(b[2], end[t])
    inplace = {}  # padding layer -> its input's buffer, which the padded copy then overlays
    for i, sz in (extra or {}).items():
        r = root[qmodel.layers[i].inputs[0]]
        if bufs[('t', r)][2] == i:
            # the input is not read after layer i: pad in place (rows moved last first, then
            # the border filled), the buffer grown to the padded size for its whole life
            b = bufs[('t', r)]
            b[0] = max(b[0], sz)
            inplace[i] = ('t', r)
        else:
            bufs[('s', i)] = [sz, i, i]
    order = sorted(bufs, key=lambda k: (-bufs[k][0], bufs[k][1], k))
    placed = []    # (offset, size, start, end)
    off = {}
    for k in order:
        size, s0, e0 = bufs[k]
        cands = sorted(o + _align4(sz) for o, sz, s1, e1 in placed if not (e1 < s0 or e0 < s1))
        conflicts = sorted((o, o + _align4(sz)) for o, sz, s1, e1 in placed if not (e1 < s0 or e0 < s1))
        best = None
        for c in [0] + cands:
            if all(c + size <= a or c >= b for a, b in conflicts):
                best = c
                break
        off[k] = best
        placed.append((best, size, s0, e0))
    arena = max([_align4(o + sz) for o, sz, _, _ in placed] + [4])
    t_off = [off[('t', root[t])] for t in range(n + 1)]
    s_off = {i: off[inplace.get(i, ('s', i))] for i in (extra or {})}
    return arena, t_off, s_off


def _norm(v, c, default, name):
    if v is None:
        return np.full(c, default, np.float32)
    a = np.asarray(v, np.float32).reshape(-1)
    if a.size == 1:
        a = np.full(c, a[0], np.float32)
    if a.size != c:
        raise ValueError(f"{name} must have one value per input channel ({c}), got {a.size}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def write(qmodel):
    """Serialise a QModel to .mlm bytes (raises ValueError naming the layer)."""
    params = prepare(qmodel)
    n = len(qmodel.layers)
    if n < 1:
        raise ValueError("model has no layers")
    shapes = [tuple(qmodel.input_shape)] + [p['out_shape'] for p in params]
    scales = [f32(qmodel.input_scale)] + [f32(L.out_scale) for L in qmodel.layers]
    zps = [int(qmodel.input_zp)] + [int(L.out_zp) for L in qmodel.layers]
    recs = []
    scratch = {}
    for i, (L, p) in enumerate(zip(qmodel.layers, params)):
        kp, pad_p, blob, sc = _layer_blob(i, L, p, p['in_zp'][0])
        if sc:
            scratch[i] = sc
        recs.append((L, p, kp, pad_p, blob))
    arena, t_off, s_off = arena_plan(qmodel, params, scratch)

    c = shapes[0][-1]
    mean = _norm(qmodel.mean, c, 0.0, "mean")
    std = _norm(qmodel.std, c, 1.0, "std")
    if np.any(std == 0):
        raise ValueError("std must be non-zero")
    names = [str(s).encode() for s in (qmodel.class_names or [])]
    if any(len(s) > 255 for s in names) or len(names) > 0xFFFF:
        raise ValueError("class names: at most 65535 names of at most 255 bytes")
    out_n = int(np.prod(shapes[-1]))
    if names and len(names) != out_n:
        raise ValueError(f"{len(names)} class names for {out_n} outputs")

    tensors = b""
    for t in range(n + 1):
        d3, rank = _shape3(shapes[t])
        tensors += TENSOR.pack(d3[0], d3[1], d3[2], rank, zps[t], scales[t], t_off[t],
                               int(np.prod(shapes[t])))
    norm_off = HEADER.size + len(tensors)
    names_off = norm_off + 8 * c
    nb = b"".join(bytes([len(s)]) + s for s in names)
    layers_off = _align4(names_off + len(nb))
    # layer table, then blobs
    table_len = sum(LAYER.size + 4 * (len(kp) + (len(pp) if pp else 0)) for _, _, kp, pp, _ in recs)
    blob_pos = layers_off + table_len
    table, blobs = b"", b""
    for i, (L, p, kp, pad_p, blob) in enumerate(recs):
        ins = list(L.inputs) + [0] * (2 - len(L.inputs))
        izp = list(p['in_zp']) + [0] * (2 - len(p['in_zp']))
        bo = blob_pos + len(blobs) if blob else 0
        table += LAYER.pack(OP_CODE[L.op], len(L.inputs), len(kp), len(pad_p) if pad_p else 0,
                            ins[0], ins[1], s_off.get(i, 0), scratch.get(i, 0), bo, len(blob),
                            izp[0], izp[1], p['act_min'], p['act_max'])
        table += np.asarray((pad_p or []) + kp, '<i4').tobytes()
        blobs += blob + bytes(_align4(len(blob)) - len(blob))
    body_len = blob_pos + len(blobs)
    file_size = body_len + 4
    head = HEADER.pack(MAGIC, VERSION, HEADER.size, file_size, arena, n, len(names),
                       norm_off, names_off, layers_off)
    body = (head + tensors + mean.astype('<f4').tobytes() + std.astype('<f4').tobytes() + nb
            + bytes(layers_off - names_off - len(nb)) + table + blobs)
    assert len(body) == body_len
    return body + struct.pack("<I", binascii.crc32(body) & 0xFFFFFFFF)


def _err(cond, msg):
    if not cond:
        raise ValueError(msg)


def read(data):
    """Parse and validate .mlm bytes into a dict (header fields, tensors, layers)."""
    try:
        return _read(bytes(data))
    except struct.error as e:   # a check above missed a short field: still a clean error
        raise ValueError(f"malformed model file: {e}") from None


def _blob_len(op, p):
    """Blob bytes a layer's p implies (None: no blob)."""
    if op == 'FULLY_CONNECTED':
        return _align4(p[0] * p[1]) + 12 * p[1]
    if op in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
        c, third, kh, kw = p[2], p[5], p[6], p[7]
        n_out = third if op == 'CONV_2D' else c * third
        return _align4(n_out * kh * kw * (c if op == 'CONV_2D' else 1)) + 12 * n_out
    if op == 'SOFTMAX':
        return 12 + 4 * 256
    return 0


def _check_shapes(i, L, ins, out):
    """The kernel's p must describe the tensors it reads and writes (the device trusts p)."""
    op, p, s, o = L['op'], L['p'], ins[0]['shape'], out['shape']
    bad = f"layer {i} ({op}): p {p} does not match input {s} / output {o}"
    if op == 'FULLY_CONNECTED':
        _err(p[0] == ins[0]['size'] and p[1] == out['size'], bad)
    elif op in ('CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'MAX_POOL_2D'):
        _err(len(s) == 3 and len(o) == 3, bad)
        if op in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
            ph, pw, c, oh, ow, third = p[:6]
            pp = L['pad_p']
            n_out = third if op == 'CONV_2D' else c * third
            _err(c == s[2] and (oh, ow, n_out) == o, bad)
            _err((ph, pw) == s[:2] if pp is None else
                 (tuple(pp[:3]) == s and (pp[5], pp[6]) == (ph, pw) and ph >= s[0] and pw >= s[1]
                  and L['scratch_size'] == ph * pw * c), f"layer {i} ({op}): padding p {pp} "
                 f"does not match input {s} padded to {(ph, pw)}")
        else:
            _err(tuple(p[:3]) == s and (p[3], p[4], s[2]) == o, bad)
    elif op == 'MEAN':
        _err(len(s) == 3 and p[0] == s[0] * s[1] and p[1] == s[2] == out['size'], bad)
    elif op == 'ADD':
        _err(p[0] == ins[0]['size'] == ins[1]['size'] == out['size'], bad)
    elif op == 'SOFTMAX':
        _err(p[1] >= 1 and p[0] * p[1] == ins[0]['size'] == out['size'], bad)
    else:
        _err(ins[0]['size'] == out['size'], bad)
    want = _blob_len(op, p)
    _err(L['blob_size'] == want, f"layer {i} ({op}): blob of {L['blob_size']} bytes, p implies {want}")


def _read(data):
    _err(len(data) >= HEADER.size + 4, f"file truncated: {len(data)} bytes is shorter than the header")
    magic, ver, hsize, fsize, arena, n, ncls, norm_off, names_off, layers_off = HEADER.unpack_from(data)
    _err(magic == MAGIC, f"bad magic {magic!r} (expected {MAGIC!r})")
    _err(ver == VERSION, f"unsupported version {ver} (expected {VERSION})")
    _err(hsize == HEADER.size, f"bad header size {hsize}")
    _err(fsize == len(data), f"file size field {fsize} != actual size {len(data)} (truncated?)")
    crc = struct.unpack_from("<I", data, fsize - 4)[0]
    _err(crc == binascii.crc32(data[:-4]) & 0xFFFFFFFF, "CRC mismatch: file is corrupt")
    _err(1 <= n <= 1024, f"layer count {n} out of range")
    end = fsize - 4
    _err(norm_off == HEADER.size + TENSOR.size * (n + 1) and norm_off <= end,
         f"norm offset {norm_off} inconsistent")
    tensors = []
    for t in range(n + 1):
        d0, d1, d2, rank, zp, scale, off, size = TENSOR.unpack_from(data, HEADER.size + TENSOR.size * t)
        _err(1 <= rank <= 3, f"tensor {t}: rank {rank}")
        dims = (d0, d1, d2)[:rank]
        _err(all(d >= 1 for d in (d0, d1, d2)) and (rank == 3 or all(d == 1 for d in (d0, d1, d2)[rank:])),
             f"tensor {t}: bad dims {(d0, d1, d2)}")
        _err(size == d0 * d1 * d2, f"tensor {t}: size {size} != product of dims")
        _err(scale > 0 and np.isfinite(scale), f"tensor {t}: scale {scale} must be > 0")
        _err(off % 4 == 0 and off + size <= arena, f"tensor {t}: offset {off}+{size} outside arena {arena}")
        tensors.append(dict(shape=dims, zp=zp, scale=scale, offset=off, size=size))
    c = tensors[0]['shape'][-1]
    _err(names_off == norm_off + 8 * c and names_off <= end, f"names offset {names_off} inconsistent")
    mean = np.frombuffer(data, '<f4', c, norm_off)
    std = np.frombuffer(data, '<f4', c, norm_off + 4 * c)
    names, pos = [], names_off
    for k in range(ncls):
        _err(pos < end and pos + 1 + data[pos] <= end, f"class name {k} runs past the end")
        names.append(data[pos + 1:pos + 1 + data[pos]].decode())
        pos += 1 + data[pos]
    _err(layers_off == _align4(pos), f"layers offset {layers_off} inconsistent")
    layers, pos = [], layers_off
    blob_end = None
    for i in range(n):
        _err(pos + LAYER.size <= end, f"layer {i}: record runs past the end")
        (op, nin, np_, npp, in0, in1, s_off, s_size, b_off, b_size,
         zp0, zp1, amin, amax) = LAYER.unpack_from(data, pos)
        _err(1 <= op <= len(OPS), f"layer {i}: unknown op code {op}")
        name = OPS[op - 1]
        _err(nin == (2 if name == 'ADD' else 1), f"layer {i} ({name}): {nin} inputs")
        _err(np_ == P_LEN[name], f"layer {i} ({name}): p has {np_} entries, expected {P_LEN[name]}")
        _err(npp in (0, PAD_P_LEN), f"layer {i} ({name}): pad p has {npp} entries")
        ins = [in0, in1][:nin]
        for t in ins:
            _err(t <= i, f"layer {i} ({name}): input tensor {t} does not chain (not yet computed)")
        pos += LAYER.size
        _err(pos + 4 * (np_ + npp) <= end, f"layer {i}: p runs past the end")
        allp = [int(v) for v in np.frombuffer(data, '<i4', np_ + npp, pos)]
        pos += 4 * (np_ + npp)
        if b_size:
            _err(b_off % 4 == 0 and b_off >= layers_off and b_off + b_size <= end,
                 f"layer {i} ({name}): blob {b_off}+{b_size} outside the file or misaligned")
        if npp:
            _err(s_off % 4 == 0 and s_off + s_size <= arena, f"layer {i}: scratch outside arena")
        _err(zp0 == tensors[ins[0]]['zp'], f"layer {i}: input zero point {zp0} != tensor's")
        _err(-128 <= amin <= amax <= 127, f"layer {i}: activation range [{amin}, {amax}]")
        layers.append(dict(op=name, inputs=ins, pad_p=allp[:npp] or None, p=allp[npp:],
                           scratch_off=s_off, scratch_size=s_size, blob_off=b_off, blob_size=b_size,
                           in_zp=[zp0, zp1][:nin], act_min=amin, act_max=amax))
        blob_end = pos
    for i, L in enumerate(layers):
        _check_shapes(i, L, [tensors[t] for t in L['inputs']], tensors[i + 1])
        if L['blob_size']:
            _err(L['blob_off'] >= blob_end, f"layer {i}: blob overlaps the layer table")
            L['blob'] = data[L['blob_off']:L['blob_off'] + L['blob_size']]
    return dict(version=ver, file_size=fsize, arena_size=arena, tensors=tensors, mean=mean, std=std,
                class_names=names, layers=layers)
