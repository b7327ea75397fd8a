"""Streamed weights (issue #11): models larger than the heap run with their weights read from
the file as each layer runs, bit-exact with the numpy reference (itself checked against
tflite-micro here) for every weight-buffer size tested, on unix32 and on m0 with the RP2040
heap; a file changed, truncated or failing after load raises, never scores."""
import json
import zlib

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.bench import big_models
from microlearn_host.bench.models import mlp
from microlearn_host.quant import prepare, randmodel, reference
from microlearn_host.tflite import oracle, writer

# (model, target, weight buffers, error cases): the default, and buffers that split the big
# layers into many chunks (each must hold one output channel and every depthwise blob: the
# person detector's largest is 5376 bytes). ResNet-8 loads twice in one boot on m0: a closed
# model's memory is free again (load() and close() zero the kernels' scratch, which held its
# addresses). unix32 gets one buffer a boot: there a stale pointer on the C stack can still keep
# a dropped model's block. The person detector fits the emulated RP2040 with the smallest
# buffer only: the QEMU board's harness takes 12 KB of its heap that a real board keeps.
CASES = [("autoencoder", "unix32", [16384], True), ("autoencoder", "unix32", [1536], False),
         ("autoencoder", "m0", [16384], True), ("autoencoder", "m0", [1536], False),
         ("resnet8", "unix32", [16384], False), ("resnet8", "unix32", [2560], False),
         ("resnet8", "m0", [4096, 2560], False),
         ("person_detect", "unix32", [8192], False), ("person_detect", "unix32", [5376], False),
         ("person_detect", "m0", [5376], False)]


def _case(name):
    qm = big_models.MODELS[name]()
    x = randmodel.random_input(np.random.default_rng(7), qm, saturate=0.1)
    outs = reference.run(qm, x, prepare(qm))
    got = oracle.Oracle(writer.write(qm, outputs="all")).run(x)
    for i, (r, g) in enumerate(zip(outs, got)):  # the reference is tflite-micro's, layer by layer
        r, g = np.asarray(r).ravel(), np.asarray(g).ravel()
        assert np.array_equal(r, g), f"{name} layer {i}: reference != tflite-micro at {np.argmax(r != g)}"
    crcs = b"".join((zlib.crc32(np.asarray(o, np.int8).tobytes()) & 0xFFFFFFFF).to_bytes(4, "little")
                    for o in outs)
    return qm, np.asarray(x, np.int8).tobytes(), crcs


@pytest.mark.parametrize("name,target,wbuf,errors", CASES)
def test_streamed_model_is_exact(name, target, wbuf, errors, run_device):
    qm, x, crcs = _case(name)
    data = modelfile.write(qm)
    cfg = {"wbufs": wbuf, "errors": errors}
    files = {"model.mlm": data, "x.bin": x, "ref.bin": crcs, "cfg.json": json.dumps(cfg).encode()}
    if cfg["errors"]:  # a small model to spoil: three copies of it fit the boards' RAM disks
        files["e.mlm"] = modelfile.write(mlp(sizes=(256, 48, 10)))
    res = run_device(target, "streamed_weights.py", timeout=900, files=files)
    vals = res.values()
    print(target, name, vals)
    if target == "unix32":  # C file reads, the checksum in place: a run allocates nothing (the
        # QEMU boards' Python RAM filesystem allocates views per read, a board's does not)
        for w in wbuf:
            assert vals["bytes a run allocates, wbuf %d" % w] == 0, vals
