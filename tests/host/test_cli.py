"""`microlearn` model subcommands, called in-process via cli.main([...]) in a temp dir."""
import os

import numpy as np
import pytest

from microlearn_host import cli

pytest.importorskip("tflite")


def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A trained float model and its int8 version, made through the CLI."""
    d = tmp_path_factory.mktemp("cli")
    old = os.getcwd()
    os.chdir(d)
    try:
        assert cli.main(["train", "--dataset", "digits", "--out", "build/models/digits.npz"]) == 0
        assert cli.main(["quantize", "--model", "build/models/digits.npz", "--dataset", "digits",
                         "--out", "build/models/digits.qmodel.npz"]) == 0
    finally:
        os.chdir(old)
    return d


@pytest.fixture
def cwd(work, monkeypatch):
    monkeypatch.chdir(work)
    return work


def run_fail(capsys, argv, match):
    """The command fails with a non-zero exit, says why, and writes nothing."""
    before = files(".")
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc != 0, argv
    assert match in err, err
    assert files(".") == before
    return err


def test_quantize_export_import_eval_roundtrip(cwd, capsys):
    assert cli.main(["export", "--model", "build/models/digits.qmodel.npz", "--format", "tflite",
                     "--out", "out/d.tflite"]) == 0
    assert cli.main(["import", "--tflite", "out/d.tflite", "--dataset", "digits",
                     "--out", "out/d2.qmodel.npz"]) == 0
    capsys.readouterr()
    assert cli.main(["eval", "--model", "out/d2.qmodel.npz", "--dataset", "digits",
                     "--confusion", "out/c.png"]) == 0
    out = capsys.readouterr().out
    assert "int8 (reference) accuracy" in out
    with open("out/c.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # the same model through two file formats gives the same accuracy line
    assert cli.main(["eval", "--model", "build/models/digits.qmodel.npz", "--dataset",
                     "digits"]) == 0
    out2 = capsys.readouterr().out
    assert out.splitlines()[0] == out2.splitlines()[0]


def test_eval_float_reports_both(cwd, capsys):
    assert cli.main(["eval", "--model", "build/models/digits.npz", "--dataset", "digits"]) == 0
    out = capsys.readouterr().out
    assert "float accuracy" in out and "int8 (reference) accuracy" in out


def test_prune_and_quantize_tflite(cwd, capsys):
    assert cli.main(["prune", "--model", "build/models/digits.npz", "--dataset", "digits",
                     "--channels", "0.5", "--epochs", "1", "--out", "out/small.npz"]) == 0
    assert "params 6090 -> 1898" in capsys.readouterr().out
    assert cli.main(["quantize", "--model", "out/small.npz", "--dataset", "digits",
                     "--out", "out/small.tflite"]) == 0
    with open("out/small.tflite", "rb") as f:
        assert f.read(8)[4:] == b"TFL3"


def test_help_has_examples(capsys):
    for cmd in ("train", "quantize", "prune", "export", "import", "eval"):
        assert cli.main([cmd, "--help"]) == 0
        assert f"microlearn {cmd} --" in capsys.readouterr().out


def test_unknown_dataset_and_option(cwd, capsys):
    run_fail(capsys, ["train", "--dataset", "mnist", "--out", "x.npz"], "invalid choice")
    run_fail(capsys, ["train", "--dataset", "digits", "--out", "x.npz", "--bogus"],
             "unrecognized arguments")


def test_corrupted_and_mismatched_files(cwd, capsys):
    with open("junk.npz", "wb") as f:
        f.write(b"not a zip")
    with open("junk.tflite", "wb") as f:
        f.write(b"\x00" * 64)
    run_fail(capsys, ["eval", "--model", "junk.npz", "--dataset", "digits"], "not an .npz")
    run_fail(capsys, ["eval", "--model", "junk.tflite", "--dataset", "digits"], "junk.tflite")
    run_fail(capsys, ["import", "--tflite", "junk.tflite", "--out", "j.qmodel.npz"],
             "junk.tflite")
    run_fail(capsys, ["eval", "--model", "missing.npz", "--dataset", "digits"], "no such")
    run_fail(capsys, ["eval", "--model", "build/models/digits.npz", "--dataset", "watch"],
             "does not match")
    run_fail(capsys, ["quantize", "--model", "build/models/digits.qmodel.npz", "--dataset",
                      "digits", "--out", "q.tflite"], "already quantized")
    run_fail(capsys, ["export", "--model", "build/models/digits.npz", "--format", "tflite",
                      "--out", "e.tflite"], "--dataset is required")
    # a truncated copy of a good file
    data = open("build/models/digits.qmodel.npz", "rb").read()
    with open("trunc.qmodel.npz", "wb") as f:
        f.write(data[:len(data) // 2])
    run_fail(capsys, ["export", "--model", "trunc.qmodel.npz", "--format", "tflite",
                      "--out", "t.tflite"], "trunc.qmodel.npz")


def test_labels_out_of_range(cwd, capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 16, size=(5, 8, 8, 1)).astype(np.float32)
    np.savez("bad_labels.npz", x=x, y=np.array([0, 1, 2, 10, 3]))
    run_fail(capsys, ["eval", "--model", "build/models/digits.qmodel.npz", "--data",
                      "bad_labels.npz", "--confusion", "c.png"], "outside 0..9")
    np.savez("bad_shape.npz", x=x[:, :4], y=np.array([0, 1, 2, 3, 3]))
    run_fail(capsys, ["eval", "--model", "build/models/digits.qmodel.npz", "--data",
                      "bad_shape.npz"], "model takes (8, 8, 1)")
    np.savez("ok.npz", x=x, y=np.array([0, 1, 2, 3, 3]))
    assert cli.main(["eval", "--model", "build/models/digits.qmodel.npz", "--data", "ok.npz"]) == 0


def test_prune_needs_one_method(cwd, capsys):
    run_fail(capsys, ["prune", "--model", "build/models/digits.npz", "--dataset", "digits",
                      "--out", "p.npz"], "exactly one of")
    run_fail(capsys, ["prune", "--model", "build/models/digits.npz", "--dataset", "digits",
                      "--channels", "1.5", "--out", "p.npz"], "fraction")


def test_failed_write_leaves_nothing(cwd, capsys, monkeypatch):
    """A write that dies half-way (disk full) leaves neither the target nor its temp file."""
    from microlearn_host.convert import qio

    def partial_savez(f, **arrays):
        f.write(b"PK half a file")
        raise OSError("simulated: no space left on device")
    monkeypatch.setattr(qio.np, "savez", partial_savez)
    run_fail(capsys, ["quantize", "--model", "build/models/digits.npz", "--dataset", "digits",
                      "--out", "build/models/fail.qmodel.npz"], "no space left")


def test_export_mlm_checks_the_board_budget(cwd, capsys):
    argv = ["export", "--model", "build/models/digits.qmodel.npz", "--format", "mlm",
            "--out", "out/d.mlm", "--board", "rp2040"]
    assert cli.main(argv) == 0
    assert os.path.getsize("out/d.mlm") > 0
    assert "fits rp2040" in capsys.readouterr().out


def test_existing_commands_still_there(capsys):
    assert cli.main(["boards"]) == 0
    assert cli.main(["deploy", "--help"]) == 0


def test_eval_on_a_board(cwd, capsys):
    assert cli.main(["eval", "--model", "build/models/digits.qmodel.npz", "--dataset", "digits",
                     "--boards", "unix"]) == 0
    out = capsys.readouterr().out
    assert "on unix" in out and "outputs == reference" in out, out
    run_fail(capsys, ["eval", "--model", "build/models/digits.qmodel.npz", "--dataset", "digits",
                      "--boards", "nosuchboard"], "unknown board")
