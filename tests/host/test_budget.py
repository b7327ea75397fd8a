"""A model too big for a board is refused, naming the budget and the excess."""
import json
import os
import re

import numpy as np
import pytest

from microlearn_host import modelfile
from microlearn_host.board import budget, budget_stream, deploy, mpy
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
    total, parts, ex = re.match(r"fits esp32: (\d+) of 112640 heap bytes \((.*)\); the kernels' "
                                r"machine code takes (\d+) of the 40960 bytes of executable memory$",
                                line).groups()
    assert int(total) == n["total"] == sum(int(p.split()[1]) for p in parts.split(" + ")), line
    assert int(ex) == n["exec"] > 0
    assert "executable" not in budget.fits_line("rp2040", budget.check(mlm, "rp2040"))


def test_every_mpy_parses_to_its_end_and_viper_is_machine_code():
    # mpy.machine_code walks the whole file (it raises unless it ends exactly at the end):
    # bytecode-only modules hold none, viper modules mostly machine code
    for arch in ("xtensawin", "armv6m", "x86", "x64"):
        for name, path in mpy.device_package(arch):
            with open(path, "rb") as f:
                data = f.read()
            code, funcs = mpy.machine_code(data)
            mod = name.split("/")[-1][:-4]
            with open(os.path.join(ROOT, "device", "microlearn", mod + ".py")) as f:
                src = f.read()
            viper = len(re.findall(r"^\s*@micropython\.(viper|asm_thumb|native)\b", src, re.M))
            assert funcs == viper, (arch, mod, funcs, viper)
            assert (code > len(data) // 2) if mod.endswith("_viper") else (code < len(data)), (arch, mod)
    with pytest.raises(mpy.MpyError, match="parse ended"):
        mpy.machine_code(data + b"\0")


def test_esp32_code_splits_into_heap_and_executable_memory():
    # xtensawin: each module's file minus its machine code stays in the heap; the machine code
    # (rounded, plus a header per function) is the 'exec' part; elsewhere the heap holds it all
    heap, ex, files = 0, 0, 0
    for mod, path in budget._inference_modules("xtensawin"):
        h, e = budget.module_bytes("xtensawin", mod, path)
        with open(path, "rb") as f:
            code, funcs = mpy.machine_code(f.read())
        assert h + code == os.path.getsize(path) + budget.CODE_PER_MODULE + budget.MODULE_BUFFERS.get(mod, 0)
        assert code <= e <= code + 3 + budget.EXEC_PER_FUNCTION * funcs
        heap, ex, files = heap + h, ex + e, files + os.path.getsize(path)
    assert heap == budget.code_bytes("xtensawin") and ex == budget.exec_bytes("xtensawin")
    assert ex > files // 2
    assert budget.exec_bytes("armv6m") == 0


def test_machine_code_over_the_executable_memory_is_refused(tmp_path):
    board = json.load(open(os.path.join(ROOT, "boards", "esp32.json")))
    board["exec_bytes"] = budget.exec_bytes("xtensawin") - 1
    path = tmp_path / "tight.json"
    path.write_text(json.dumps(board))
    with pytest.raises(budget.BudgetError, match=r"machine code needs \d+ bytes of executable memory"):
        budget.check(modelfile.write(_fc_model(64, 10)), str(path))


def test_streamed_float_input_costs_its_copy_and_quantize():
    # a streamed model imports quantize at its first float input: the streamed budget counts
    # its code in 'input' (what float input costs), the in-heap one in 'code' (with the kernels)
    mlm = modelfile.write(_fc_model(700, 4))
    whole, s = budget.need(mlm, "armv6m"), budget_stream.need(mlm, "armv6m", 1024)
    q = budget.quantize_bytes("armv6m")[0]
    assert q > 2000 and whole["code"] == budget.code_bytes("armv6m")
    assert whole["input"] == 4 * 700 and s["input"] == 4 * 700 + q
    stream_mod = [p for n, p in mpy.device_package("armv6m") if n.endswith("/stream.mpy")][0]
    assert s["code"] == whole["code"] - q + budget.module_bytes("armv6m", "stream", stream_mod)[0]


def test_person_detector_fits_the_rp2040_streamed_with_int8_input():
    # the default 16 KB buffer leaves too little: the report falls back to the largest smaller
    # buffer that fits (with int8 input: float input would not fit at all); the smallest the
    # model takes is its largest depthwise blob
    from microlearn_host.bench import big_models
    mlm = modelfile.write(big_models.person_detect())
    dw = max(L["blob_size"] for L in modelfile.read(mlm)["layers"] if L["op"] == "DEPTHWISE_CONV_2D")
    assert budget_stream.min_wbuf(mlm) == dw == 5376
    lines = budget_stream.report(mlm, "rp2040")
    s = budget_stream.need(mlm, "armv6m", 8192)
    assert s["total"] > 194560 >= s["total"] - s["input"]
    assert budget_stream.need(mlm, "armv6m", 16384)["total"] - s["input"] > 194560
    m = re.match(r"fits rp2040 streamed \(load\(path, stream=True\), wbuf=8192\) with int8 input only "
                 r".* would take (\d+) bytes more.*\): (\d+) of 194560 heap bytes \((.*)\); reads (\d+)",
                 lines[-1])
    assert m, lines
    assert int(m[1]) == s["input"] and int(m[2]) == s["total"] - s["input"]
    assert int(m[2]) == sum(int(p.split()[1]) for p in m[3].split(" + ")) and "input" not in m[3]
    assert int(m[4]) == s["read"] > 0.95 * len(mlm)


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
    path.write_bytes(modelfile.write(_fc_model(40000, 2)))  # its float input alone is 160 KB
    with pytest.raises(budget.BudgetError, match="esp32.*streamed"):
        deploy.deploy("esp32", "/dev/does-not-exist", model=str(path))


def test_every_device_module_is_budgeted_or_excluded():
    # a new device module must be counted as inference code or named as a twin/learning module
    names = {f[:-3] for f in os.listdir(os.path.join(ROOT, "device", "microlearn")) if f.endswith(".py")}
    known = (set(budget.INFERENCE) | set(budget.TWINS) | set(budget.LEARNING) | set(budget.APP)
             | set(budget.STREAMING))
    assert names - known == set(), "unclassified device modules: %s" % sorted(names - known)
    assert not set(budget.INFERENCE) & (set(budget.TWINS) | set(budget.LEARNING) |
                                        set(budget.APP))


def test_export_reports_streamed_when_the_heap_cannot_hold_the_file():
    from microlearn_host.board import budget_stream
    mlm = modelfile.write(_fc_model(400, 400))  # 160 KB of weights: over the RP2040's heap
    lines = budget_stream.report(mlm, "rp2040")
    assert lines[0].startswith("does not fit rp2040 in the heap"), lines
    m = re.match(r"fits rp2040 streamed \(load\(path, stream=True\), wbuf=16384\): (\d+) of 194560 "
                 r"heap bytes \((.*)\); reads (\d+) bytes from the file per inference$", lines[1])
    assert m, lines
    s = budget_stream.need(mlm, "armv6m", 16384)
    assert int(m.group(1)) == s["total"] == sum(int(p.split()[1]) for p in m.group(2).split(" + "))
    assert int(m.group(3)) == s["read"] == 400 * 400 + 12 * 400  # the one FC's whole blob
    assert s["wbuf"] == 16384 and s["kept"] == 0


def test_streamed_refusals_name_the_layer_and_the_bytes():
    from microlearn_host.board import budget_stream
    mlm = modelfile.write(_fc_model(5000, 4))
    with pytest.raises(ValueError, match=r"wbuf=1024 is too small: layer 0 \(FULLY_CONNECTED\) "
                                         r"needs 5012 bytes for one output channel"):
        budget_stream.need(mlm, "armv6m", 1024)
    small = modelfile.write(_fc_model(64, 10))  # fits in the heap: the streamed figure is extra
    lines = budget_stream.report(small, "esp32")
    assert lines[0].startswith("fits esp32:") and len(lines) == 2, lines
    assert lines[1].endswith("and read %d bytes per inference" % (64 * 10 + 12 * 10)), lines
