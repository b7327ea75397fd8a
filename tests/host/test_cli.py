"""`microlearn` model subcommands, called in-process via cli.main([...]) in a temp dir."""
import os

import numpy as np
import pytest

from microlearn_host import cli


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


def run_fail(capsys, argv, match, rc_want=None):
    """The command fails with a non-zero exit (rc_want if given), says why, and writes nothing."""
    before = files(".")
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc != 0 and rc_want in (None, rc), (argv, rc)
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
    line = [l for l in capsys.readouterr().out.splitlines() if l.startswith("fits rp2040")][0]
    # "fits rp2040: T of H heap bytes (model a + arena b + ...)": the printed parts add up to T
    total = int(line.split(": ")[1].split(" of ")[0])
    parts = [int(p.split()[-1]) for p in line[line.index("(") + 1:line.rindex(")")].split(" + ")]
    assert len(parts) >= 5 and sum(parts) == total, line


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


# --- issue #7: what a new user hits -------------------------------------------------------

def _magic(path, n=4):
    with open(path, "rb") as f:
        return f.read(n)


def test_output_format_follows_the_extension(cwd, capsys):
    """quantize/import/export write the format their --out names; .mlm files load on a board."""
    from microlearn_host import modelfile
    assert cli.main(["quantize", "--model", "build/models/digits.npz", "--dataset", "digits",
                     "--out", "out/q.mlm"]) == 0
    modelfile.read(open("out/q.mlm", "rb").read())
    assert cli.main(["export", "--model", "build/models/digits.qmodel.npz",
                     "--out", "out/e.tflite"]) == 0     # --format from the extension
    assert _magic("out/e.tflite", 8)[4:] == b"TFL3"
    assert cli.main(["import", "--tflite", "out/e.tflite", "--out", "out/i.mlm"]) == 0
    assert modelfile.read(open("out/i.mlm", "rb").read())["class_names"]
    capsys.readouterr()


def test_format_mismatch_refused_before_any_work(cwd, capsys, monkeypatch):
    from microlearn_host.convert import qio

    def no_work(*a, **k):
        raise AssertionError("the command started working before refusing its arguments")
    monkeypatch.setattr(qio, "load_any", no_work)
    q = "build/models/digits.qmodel.npz"
    for argv, match in [
            (["export", "--model", q, "--format", "tflite", "--out", "x.mlm"], "x.mlm"),
            (["export", "--model", q, "--format", "mlm", "--out", "x.tflite"], "x.tflite"),
            (["export", "--model", q, "--out", "x.bin"], "x.bin"),
            (["quantize", "--model", "build/models/digits.npz", "--dataset", "digits",
              "--out", "x.onnx"], "x.onnx"),
            (["import", "--tflite", "out/e.tflite", "--out", "x.h5"], "x.h5"),
            (["train", "--dataset", "digits", "--out", "x.mlm"], "x.mlm"),
            (["prune", "--model", "build/models/digits.npz", "--dataset", "digits",
              "--channels", "0.5", "--out", "x.tflite"], "x.tflite"),
            (["eval", "--model", q, "--dataset", "digits", "--confusion", "c.txt"], "c.txt"),
            (["eval", "--model", q, "--dataset", "digits", "--confusion", "junk.npz/c.png"],
             "junk.npz"),
            (["eval", "--model", q, "--dataset", "digits", "--confusion", "out"], "out")]:
        if argv[0] == "eval" and "junk.npz" in argv[-1]:
            open("junk.npz", "wb").close()    # a file where a directory is needed
        err = run_fail(capsys, argv, match, rc_want=1)
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err


def test_eval_takes_an_mlm(cwd, capsys):
    assert cli.main(["export", "--model", "build/models/digits.qmodel.npz", "--format", "mlm",
                     "--out", "out/m.mlm"]) == 0
    capsys.readouterr()
    assert cli.main(["eval", "--model", "out/m.mlm", "--dataset", "digits"]) == 0
    out = capsys.readouterr().out
    assert cli.main(["eval", "--model", "build/models/digits.qmodel.npz", "--dataset",
                     "digits"]) == 0
    assert out.splitlines()[0] == capsys.readouterr().out.splitlines()[0]
    with open("out/m.mlm", "rb") as f:
        data = bytearray(f.read())
    data[-1] ^= 1
    with open("bad.mlm", "wb") as f:
        f.write(data)
    run_fail(capsys, ["eval", "--model", "bad.mlm", "--dataset", "digits"], "bad.mlm: CRC")


def test_confusion_directory_is_made(cwd, capsys):
    assert cli.main(["eval", "--model", "build/models/digits.qmodel.npz", "--dataset", "digits",
                     "--confusion", "out/new/dir/c.png"]) == 0
    assert _magic("out/new/dir/c.png") == b"\x89PNG"


def test_bad_numbers_refused(cwd, capsys):
    d = ["--dataset", "digits"]
    for argv, match in [(["train", *d, "--out", "t.npz", "--epochs", "0"], "--epochs"),
                        (["train", *d, "--out", "t.npz", "--epochs", "-3"], "--epochs"),
                        (["train", *d, "--out", "t.npz", "--batch-size", "-1"], "--batch-size"),
                        (["train", *d, "--out", "t.npz", "--lr", "0"], "--lr"),
                        (["train", *d, "--out", "t.npz", "--lr", "nan"], "--lr"),
                        (["train", *d, "--out", "t.npz", "--patience", "0"], "--patience"),
                        (["train", *d, "--out", "t.npz", "--seed", "-1"], "--seed"),
                        (["quantize", "--model", "build/models/digits.npz", *d, "--out", "q.tflite",
                          "--qat-epochs", "-2"], "--qat-epochs"),
                        (["prune", "--model", "build/models/digits.npz", *d, "--channels", "0.5",
                          "--epochs", "-1", "--out", "p.npz"], "--epochs"),
                        (["prune", "--model", "build/models/digits.npz", *d, "--sparsity", "0",
                          "--out", "p.npz"], "--sparsity"),
                        (["run", "unix", "x.py", "--timeout", "0"], "--timeout")]:
        run_fail(capsys, argv, match)


def test_errors_name_the_users_path(cwd, capsys):
    open("afile", "wb").close()
    err = run_fail(capsys, ["export", "--model", "build/models/digits.qmodel.npz",
                            "--out", "afile/x.tflite"], "afile")
    assert ".tmp" not in err, err
    os.makedirs("bdir.tflite", exist_ok=True)
    err = run_fail(capsys, ["export", "--model", "build/models/digits.qmodel.npz",
                            "--out", "bdir.tflite"], "bdir.tflite")
    assert ".tmp" not in err, err


def test_train_progress_and_early_stopping(cwd, capsys, monkeypatch):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True
    for extra, bar in (([], True), (["--quiet"], False)):
        tty = Tty()
        monkeypatch.setattr("sys.stderr", tty)
        assert cli.main(["train", "--dataset", "digits", "--out", "out/es.npz", "--epochs", "30",
                         "--patience", "1", *extra]) == 0
        out = capsys.readouterr().out
        assert ("/30:" in tty.getvalue()) == bar, tty.getvalue()
        assert "early stopping at epoch" in out and "best epoch" in out and "val loss" in out, out
    # not a terminal (a log file, CI): no bar unless asked for
    assert cli.main(["train", "--dataset", "digits", "--out", "out/es.npz", "--epochs", "1"]) == 0
    cap = capsys.readouterr()
    assert "/1:" not in cap.err and "ran all 1 epochs" in cap.out, cap


def test_every_subcommand_help_has_a_runnable_example(capsys):
    import shlex
    parser = cli.build_parser()
    assert set(cli._COMMANDS) >= {"train", "quantize", "prune", "export", "import", "eval",
                                  "boards", "deploy", "run", "demo", "bench"}
    for name in cli._COMMANDS:
        assert cli.main([name, "--help"]) == 0
        lines = [l.strip() for l in capsys.readouterr().out.splitlines()
                 if l.strip().startswith(f"microlearn {name}")]
        assert lines, f"{name} --help shows no example"
        for line in lines:
            argv = shlex.split(line.split("  #")[0])[1:]
            args = parser.parse_args(argv)    # exits (SystemExit) if the example does not parse
            assert args.command == name


def test_import_keeps_normalisation_and_names(cwd, capsys):
    """export -> import (no --dataset) -> eval: the same accuracy as the original model."""
    q = "build/models/digits.qmodel.npz"
    assert cli.main(["eval", "--model", q, "--dataset", "digits"]) == 0
    want = capsys.readouterr().out.splitlines()[0]
    assert cli.main(["export", "--model", q, "--out", "out/k.tflite"]) == 0
    assert cli.main(["import", "--tflite", "out/k.tflite", "--out", "out/k.qmodel.npz"]) == 0
    assert "warning" not in capsys.readouterr().err
    for m in ("out/k.qmodel.npz", "out/k.tflite"):
        assert cli.main(["eval", "--model", m, "--dataset", "digits"]) == 0
        cap = capsys.readouterr()
        assert cap.out.splitlines()[0] == want and "warning" not in cap.err, cap


def test_import_foreign_tflite_warns(cwd, capsys):
    from microlearn_host.convert import qio
    qm = qio.load_qmodel_npz("build/models/digits.qmodel.npz")
    qm.mean = qm.std = None
    qm.class_names = []
    with open("foreign.tflite", "wb") as f:
        f.write(qio.tflite_bytes(qm))
    assert cli.main(["import", "--tflite", "foreign.tflite", "--out", "out/f.qmodel.npz"]) == 0
    err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert len(err) == 1 and "warning" in err[0] and "normalised" in err[0] \
        and "import --dataset" in err[0], err


def test_train_on_some_classes(cwd, capsys):
    """A base model that leaves classes 8 and 9 out: quantize and eval pick the same classes
    from the dataset by the names the float model carries."""
    assert cli.main(["train", "--dataset", "digits", "--classes", "0-7", "--epochs", "2",
                     "--out", "out/d07.npz", "--quiet"]) == 0
    assert "classes 0, 1, 2, 3, 4, 5, 6, 7" in capsys.readouterr().out
    from microlearn_host.convert import qio
    kind, m = qio.load_any("out/d07.npz")
    assert m.class_names == [str(c) for c in range(8)] and m.output_shape == (8,)
    assert cli.main(["quantize", "--model", "out/d07.npz", "--dataset", "digits",
                     "--out", "out/d07.qmodel.npz"]) == 0
    kind, qm = qio.load_any("out/d07.qmodel.npz")
    assert qm.class_names == [str(c) for c in range(8)]
    assert cli.main(["eval", "--model", "out/d07.qmodel.npz", "--dataset", "digits"]) == 0
    assert "int8 (reference) accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("spec, match", [
    ("7-0", "runs backwards"), ("0,0-3", "twice"), ("0-10", "outside 0..9"),
    ("3", "keeps 1 class"), ("", "empty"), ("0,,2", "empty item"), ("seven", "neither an index"),
])
def test_train_classes_errors(cwd, capsys, spec, match):
    err = run_fail(capsys, ["train", "--dataset", "digits", "--classes", spec, "--out", "x.npz"],
                   match, rc_want=1)
    assert "--classes" in err
