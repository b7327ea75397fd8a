"""The arena report (microlearn_host/bench/arena.py): the simple plan, ours and the least any plan
can do with the same buffers, read back from the model file."""
import numpy as np

from microlearn_host import modelfile
from microlearn_host.bench import arena
from microlearn_host.bench import big_models
from microlearn_host.quant import randmodel
from microlearn_host.quant.qmodel import QLayer, QModel


def _fc_chain(widths):
    rng = np.random.default_rng(0)
    layers = [QLayer("FULLY_CONNECTED", [i], (b,), 0.05, 0, weights=rng.integers(-3, 4, (b, a), dtype=np.int8),
                     bias=np.zeros(b, np.int32), w_scales=np.full(b, 0.01))
              for i, (a, b) in enumerate(zip(widths, widths[1:]))]
    return QModel((widths[0],), 0.02, 0, layers)


def test_a_chain_by_hand():
    # tensors 16, 8, 4: no reuse 28; layer 0 holds 16 + 8, layer 1 8 + 4
    f = arena.figures(modelfile.write(_fc_chain([16, 8, 4])))
    assert f == {"simple": 28, "ours": 24, "bound": 24, "worst": 0}


def test_big_models_plan_at_the_bound():
    # ResNet-8's skip connections keep a block's input alive across it; the person detector
    # pads in place: both plans reach the most bytes alive at one layer
    for name, want in (("resnet8", 53376), ("person_detect", 56848)):
        f = arena.figures(modelfile.write(big_models.MODELS[name]()))
        assert f["ours"] == f["bound"] == want and f["simple"] > 3 * want, (name, f)


def test_random_models_never_beat_the_bound():
    # a plan below the bound would overlap buffers alive at once
    for seed in range(40):
        rng = np.random.default_rng(seed)
        qm = randmodel.random_small_model(rng)
        f = arena.figures(modelfile.write(qm))
        assert f["bound"] <= f["ours"] <= f["simple"] + 4 * (len(qm.layers) + 1), (seed, f)
