"""A model too big for a board is refused, naming the budget and the excess."""
import os
import re

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.board import budget, deploy
from microlearn_host.board.profiles import ROOT
from microlearn_host.quant.qmodel import QLayer, QModel


def _fc_model(n_in, n_out):
    rng = np.random.default_rng(0)
    w = rng.integers(-3, 4, size=(n_out, n_in), dtype=np.int8)
    layer = QLayer("FULLY_CONNECTED", [0], (n_out,), 0.05, 0, weights=w,
                   bias=np.zeros(n_out, np.int32), w_scales=np.full(n_out, 0.01))
    return QModel((n_in,), 0.02, 0, [layer])


def test_small_model_fits_and_parts_add_up():
    mlm = modelfile.write(_fc_model(64, 10))
    n = budget.check(mlm, "esp32")
    assert n["model"] == len(mlm)
    assert n["total"] == sum(n[k] for k in budget.PARTS)
    assert n["code"] == budget.code_bytes("xtensawin") > 0
    assert n["load"] > 0 and n["input"] == 4 * 64
    line = budget.fits_line("esp32", n)
    total, parts = re.match(r"fits esp32: (\d+) of 112640 heap bytes \((.*)\)$", line).groups()
    assert int(total) == n["total"] == sum(int(p.split()[1]) for p in parts.split(" + ")), line


def test_big_model_refused_with_the_excess():
    mlm = modelfile.write(_fc_model(400, 200))  # 80 KB of weights
    n = budget.need(mlm, "xtensawin")
    with pytest.raises(budget.BudgetError) as e:
        budget.check(mlm, "esp32")
    msg = str(e.value)
    assert "heap budget is 112640 bytes" in msg
    assert re.search(r"over by %d bytes" % (n["total"] - 112640), msg), msg
    assert budget.check(mlm, "rp2040")["total"] <= 194560  # the bigger heap takes it


def test_deploy_refuses_before_touching_the_board(tmp_path):
    path = tmp_path / "big.mlm"
    path.write_bytes(modelfile.write(_fc_model(400, 250)))
    with pytest.raises(budget.BudgetError, match="esp32"):
        deploy.deploy("esp32", "/dev/does-not-exist", model=str(path))


def test_every_device_module_is_budgeted_or_excluded():
    # a new device module must be counted as inference code or named as a twin/learning module
    names = {f[:-3] for f in os.listdir(os.path.join(ROOT, "device", "microlearn")) if f.endswith(".py")}
    known = (set(budget.INFERENCE) | set(budget.TWINS) | set(budget.LEARNING) | set(budget.APP)
             | set(budget.STREAMING))
    assert names - known == set(), "unclassified device modules: %s" % sorted(names - known)
    assert not set(budget.INFERENCE) & (set(budget.TWINS) | set(budget.LEARNING) |
                                        set(budget.APP))
