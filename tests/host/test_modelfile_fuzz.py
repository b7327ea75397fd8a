"""Mutated model files: the device parser (unix target) and the host reader
accept only a clean ValueError or a correct load -- no crash, hang or
MemoryError. Half of the mutations recompute the CRC so that the parser
itself is exercised past the CRC check.
"""
import binascii
import os
import struct

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.quant import randmodel
from microlearn_host.board.runner import run_script

from conftest import DEVICE_TESTS

N_MUTATIONS = 2400
SALT = 31337
EDGE = [0, 1, 2, 3, 4, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def _recrc(b):
    b = bytearray(b)
    b[-4:] = struct.pack("<I", binascii.crc32(bytes(b[:-4])) & 0xFFFFFFFF)
    return bytes(b)


def _bases():
    out = []
    for s in range(12):
        rng = np.random.default_rng([SALT, s])
        m = randmodel.random_small_model(rng) if s % 3 else randmodel.random_layer_model(
            rng, randmodel.OPS[s % 9])
        m.class_names = ["c%d" % i for i in range(int(np.prod(m.layers[-1].out_shape)))] if s % 2 else []
        out.append(modelfile.write(m))
    return out


def mutations():
    """[(kind, bytes, crc_fixed)]"""
    rng = np.random.default_rng(SALT)
    bases = _bases()
    out = []
    for k in range(N_MUTATIONS):
        base = bytearray(bases[k % len(bases)])
        kind = k % 6
        fix = bool(rng.random() < 0.5) or kind in (2, 3, 4)
        if kind == 0:    # bit flips anywhere
            for _ in range(int(rng.integers(1, 4))):
                i = int(rng.integers(len(base)))
                base[i] ^= 1 << int(rng.integers(8))
        elif kind == 1:  # truncation (size field left alone)
            base = base[:int(rng.integers(len(base)))]
            fix = False
        elif kind == 2:  # truncation with the size field and CRC made consistent
            base = base[:max(int(rng.integers(len(base))), 36)]
            struct.pack_into("<I", base, 8, len(base))
        elif kind == 3:  # a 16- or 32-bit field in the header / tables set to an edge value
            end = min(len(base) - 4, struct.unpack_from("<I", base, 28)[0] + 200)
            i = int(rng.integers(0, max(end - 4, 1))) & ~1
            v = int(rng.choice(EDGE)) + int(rng.integers(-1, 2))
            if rng.random() < 0.5:
                struct.pack_into("<H", base, i, v & 0xFFFF)
            else:
                struct.pack_into("<I", base, i & ~3, v & 0xFFFFFFFF)
        elif kind == 4:  # random bytes in the layer table (p arrays, offsets)
            lo = struct.unpack_from("<I", base, 28)[0]
            for _ in range(int(rng.integers(1, 4))):
                i = int(rng.integers(lo, len(base) - 4))
                base[i] = int(rng.integers(256))
        else:            # a byte of the header set to random
            i = int(rng.integers(32))
            base[i] = int(rng.integers(256))
        data = _recrc(base) if fix and len(base) >= 36 else bytes(base)
        if data == bases[k % len(bases)]:
            fix = True    # a mutation that changed nothing: a correct load is right
        out.append((kind, data, fix))
    return out


# Checked before the CRC, so a mutation there is refused for them, not for the CRC.
_PRE_CRC = ("bad magic", "unsupported version", "bad header size", "file size field",
            "file truncated")


def _p_matches_tensors(rec):
    """Independent re-check of a loaded file: every kernel's p agrees with its tensors."""
    T = rec["tensors"]
    for i, L in enumerate(rec["layers"]):
        p, a, o, op = L["p"], T[L["inputs"][0]], T[i + 1], L["op"]
        if op == "FULLY_CONNECTED":
            ok = p[0] == a["size"] and p[1] == o["size"]
        elif op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            n_out = p[5] if op == "CONV_2D" else p[2] * p[5]
            ok = len(a["shape"]) == 3 and p[2] == a["shape"][2] and (p[3], p[4], n_out) == o["shape"]
            ok = ok and ((p[0], p[1]) == a["shape"][:2] if L["pad_p"] is None else
                         tuple(L["pad_p"][:3]) == a["shape"] and p[0] >= a["shape"][0])
        elif op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            ok = tuple(p[:3]) == a["shape"] and (p[3], p[4], p[2]) == o["shape"]
        elif op == "MEAN":
            ok = p[0] * p[1] == a["size"] and p[1] == o["size"]
        elif op == "ADD":
            ok = p[0] == a["size"] == T[L["inputs"][1]]["size"] == o["size"]
        elif op == "SOFTMAX":
            ok = p[0] * p[1] == a["size"] == o["size"]
        else:
            ok = a["size"] == o["size"]
        if not ok:
            return f"layer {i} ({op}) p {p} vs {a['shape']} -> {o['shape']}"
    return None


def test_host_reader_fuzz():
    """CRC not fixed: refused for the CRC (or a header field checked before it). CRC fixed:
    the reader itself catches the damage, or what it loads is consistent."""
    bases = _bases()
    n_ok = n_semantic = 0
    for k, (kind, data, fix) in enumerate(mutations()):
        base = bases[k % len(bases)]
        try:
            rec = modelfile.read(data)
        except ValueError as e:
            msg = str(e)
            if fix:
                assert not msg.startswith("CRC mismatch"), f"mutation {k} (kind {kind}): {msg}"
                n_semantic += not msg.startswith(_PRE_CRC)
            elif len(data) == len(base) and data[:12] == base[:12]:
                assert msg.startswith("CRC mismatch"), f"mutation {k} (kind {kind}): {msg}"
            else:
                assert msg.startswith(("CRC mismatch",) + _PRE_CRC), \
                    f"mutation {k} (kind {kind}): {msg}"
            continue
        assert fix, f"mutation {k} (kind {kind}) with a wrong CRC was accepted"
        problem = _p_matches_tensors(rec)
        assert problem is None, f"mutation {k} (kind {kind}) loaded inconsistent: {problem}"
        n_ok += 1
    assert n_ok < N_MUTATIONS // 2
    assert n_semantic > N_MUTATIONS // 5    # the parser past the CRC really was exercised


def test_device_parser_fuzz(run_device):
    muts = mutations()
    assert len(muts) >= 2000
    blob = b"".join(struct.pack("<I", len(d)) + d for _, d, _ in muts)
    res = run_device("unix", os.path.join(DEVICE_TESTS, "engine_fuzz.py"), files={"fuzz.bin": blob},
                     timeout=300)
    status = res.values()["status"]
    assert len(status) == len(muts), res.describe()
    assert "X" not in status
    for i, ((kind, data, fix), s) in enumerate(zip(muts, status)):
        if not fix:   # the CRC (or the size field) cannot match
            assert s == "V", f"mutation {i} (kind {kind}) without CRC fix was accepted"
        elif s == "L":   # loaded on the device: the host reader finds nothing wrong either
            try:
                modelfile.read(data)
            except ValueError as e:
                raise AssertionError(f"mutation {i} (kind {kind}): the device loaded a file "
                                     f"the host reader refuses ({e})") from None
    n_loaded = status.count("L")
    print(f"{len(muts)} mutations: {status.count('V')} ValueError, {n_loaded} loaded")
