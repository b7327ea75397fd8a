"""Handlers of the model subcommands (train, quantize, prune, export, import, eval);
the argparse side is in cli_args.py, the table of commands in cli.py.

Every command checks its inputs and output names (paths.out_kind: the extension
picks the format) before any work, and writes outputs atomically
(qio.atomic_write), so a failed command leaves no file behind.
Errors are ValueError/OSError, which cli.main turns into a message and exit 1.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from .paths import out_kind


def _dataset(name, classes=None):
    """Dataset `name`, restricted to `classes` (names a subset model was trained on)."""
    from ..data import load
    ds = load(name)
    if not classes or list(classes) == [str(c) for c in ds.class_names]:
        return ds
    from ..data.dataset import keep_classes
    names = [str(c) for c in ds.class_names]
    missing = [c for c in classes if c not in names]
    if missing:
        raise ValueError(f"the model's classes {', '.join(missing)} are not in dataset "
                         f"{name!r} ({', '.join(names)})")
    return keep_classes(ds, [names.index(c) for c in classes])


def _float_model_and_dataset(args, why):
    """The float model of args.model and the dataset it must match; ValueError otherwise."""
    from . import qio
    from ..pipeline import check_compatible
    kind, model = qio.load_any(args.model)
    if kind != "float":
        raise ValueError(f"{args.model}{why}")
    ds = _dataset(args.dataset, model.class_names)
    check_compatible(model.input_shape, int(np.prod(model.output_shape)), ds)
    return model, ds


def _quantize(model, ds, args):
    from . import ptq, qat
    if getattr(args, "qat_epochs", 0):
        qm, _ = qat.qat(model, ds.x_train, ds.y_train, ds.class_names, epochs=args.qat_epochs,
                        seed=args.seed)
        return qm
    return ptq.quantize(model, ds.x_train, ds.class_names, method=args.calibration)


def _need_dataset(args, why):
    if not args.dataset:
        raise ValueError(f"--dataset is required {why}")
    return _dataset(args.dataset)


def _progress(args) -> bool:
    """Progress bar by default on a terminal; --quiet never, --verbose always."""
    if args.quiet:
        return False
    return bool(args.verbose or sys.stderr.isatty())


def _how_it_ended(h) -> str:
    best = h.best_epoch
    at = (f"best epoch {best + 1} (val loss {h.val_loss[best]:.4f}, "
          f"val accuracy {100 * h.val_accuracy[best]:.2f}%)") if h.val_loss else ""
    if h.stopped_early:
        return (f"early stopping at epoch {len(h.loss)}: no lower val loss for "
                f"{len(h.loss) - 1 - best} epochs; keeping {at}")
    return f"ran all {len(h.loss)} epochs; keeping {at}"


def cmd_train(args):
    from .. import pipeline
    from . import evaluate as ev, qio
    out_kind(args.out, ("npz",), hint=" (train writes the float model; `microlearn export` "
             "or `quantize` make .mlm and .tflite)")
    over = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                              ("lr", args.lr), ("patience", args.patience)) if v is not None}
    ds = _dataset(args.dataset)
    if args.classes is not None:
        from ..data.dataset import keep_classes, parse_classes
        try:
            keep = parse_classes(args.classes, ds.class_names)
        except ValueError as e:
            raise ValueError(f"--classes: {e}") from None
        ds = keep_classes(ds, keep)
    model, ds = pipeline.train_default(args.dataset, seed=args.seed, verbose=_progress(args),
                                       ds=ds, **over)
    if args.classes is not None:
        model.class_names = [str(c) for c in ds.class_names]
    acc = ev.accuracy(ev.float_predict(model, ds.x_test), ds.y_test)
    qio.save_float(model, args.out)
    print(_how_it_ended(model.history))
    which = "" if args.classes is None else f" (classes {', '.join(ds.class_names)})"
    print(f"{args.dataset}{which}: {model.num_params()} params, {len(model.history.loss)} epochs in "
          f"{model.train_seconds:.1f} s, float test accuracy {100 * acc:.2f}% -> {args.out}")
    return 0


def cmd_quantize(args):
    from . import evaluate as ev, qio
    out_kind(args.out, ("npz", "tflite", "mlm"))
    model, ds = _float_model_and_dataset(args, " is already quantized")
    qm = _quantize(model, ds, args)
    acc = ev.accuracy(ev.int8_predict(qm, ds.x_test), ds.y_test)
    qio.save_qmodel(qm, args.out)
    print(f"int8 test accuracy {100 * acc:.2f}%, {ev.qmodel_bytes(qm)['total']} parameter "
          f"bytes -> {args.out}")
    return 0


def cmd_prune(args):
    from . import evaluate as ev, prune, qio
    if args.out:
        out_kind(args.out, ("npz",), hint=" (a pruned float model)")
    model, ds = _float_model_and_dataset(args, ": pruning needs the float model (.npz), not an int8 one")
    if args.table:
        print(prune.format_table(prune.tradeoff_table(model, ds, epochs=args.epochs,
                                                      seed=args.seed)))
        return 0
    if (args.sparsity is None) == (args.channels is None):
        raise ValueError("give exactly one of --sparsity, --channels (or --table)")
    if not args.out:
        raise ValueError("--out is required")
    if args.sparsity is not None:
        m = prune.prune_unstructured(model, ds.x_train, ds.y_train, args.sparsity, args.epochs,
                                     seed=args.seed)
    else:
        m = prune.prune_structured(model, ds.x_train, ds.y_train, args.channels, args.epochs,
                                   seed=args.seed)
    acc = ev.accuracy(ev.float_predict(m, ds.x_test), ds.y_test)
    qio.save_float(m, args.out)
    print(f"params {model.num_params()} -> {m.num_params()} ({prune.nonzero_params(m)} nonzero, "
          f"sparsity {100 * prune.sparsity(m):.1f}%), float test accuracy {100 * acc:.2f}% "
          f"-> {args.out}")
    return 0


def cmd_export(args):
    from . import qio
    fmt = out_kind(args.out, ("tflite", "mlm"))
    if args.format and args.format != fmt:
        raise ValueError(f"--format {args.format} but --out {args.out} names a .{fmt} file; "
                         f"give a .{args.format} name (or leave --format out)")
    if args.board and fmt != "mlm":
        raise ValueError("--board checks an .mlm against a board's heap; --out must be .mlm")
    kind, model = qio.load_any(args.model)
    qm = model if kind == "int8" else _quantize(
        model, _need_dataset(args, "to calibrate a float model"), args)
    if fmt == "tflite":
        data = qio.tflite_bytes(qm)
    else:
        from .. import modelfile
        data = modelfile.write(qm)
        if args.board:  # in the heap, else streamed (docs/streaming.md), else BudgetError
            from ..board import budget_stream
            for line in budget_stream.report(data, args.board):
                print(line)
    qio.atomic_write_bytes(args.out, data)
    print(f"{fmt}: {len(data)} bytes -> {args.out}")
    return 0


def cmd_import(args):
    from . import evaluate as ev, qio
    if args.out:
        out_kind(args.out, ("npz", "tflite", "mlm"))
    if not os.path.isfile(args.tflite):
        raise ValueError(f"no such file: {args.tflite}")
    with open(args.tflite, "rb") as f:
        data = f.read()
    qm = qio.qmodel_from_tflite(data, args.tflite)
    if args.dataset:  # attach the normalisation the model was trained with
        ds = _dataset(args.dataset)
        from ..pipeline import check_compatible
        check_compatible(qm.input_shape, ev.num_classes(qm), ds)
        qm.mean, qm.std, qm.class_names = ds.mean, ds.std, list(ds.class_names)
    elif qm.mean is None:
        print(f"warning: {args.tflite} has no microlearn metadata (input mean/std, class "
              f"names): the model will expect already-normalised input; `microlearn import "
              f"--dataset NAME` reattaches them", file=sys.stderr)
    print(f"input {tuple(qm.input_shape)} scale {qm.input_scale:.6g} zp {qm.input_zp}")
    for i, L in enumerate(qm.layers):
        n = 0 if L.weights is None else L.weights.size
        print(f"{i:2d} {L.op:18s} {str(tuple(L.out_shape)):14s} act {L.act:5s} "
              f"scale {L.out_scale:.6g} zp {L.out_zp:4d} weights {n}")
    print(f"{ev.qmodel_bytes(qm)['total']} parameter bytes")
    if args.out:
        qio.save_qmodel(qm, args.out)
        print(f"-> {args.out}")
    return 0


def _eval_data(args, n_classes, input_shape, classes=None):
    """(x, y, class_names, name) from --data FILE.npz or --dataset."""
    from . import evaluate as ev
    if args.data:
        from .qio import _read_npz
        a = _read_npz(args.data)
        if "x" not in a or "y" not in a:
            raise ValueError(f"{args.data}: needs arrays 'x' (raw inputs) and 'y' (labels)")
        x, y = a["x"], ev.check_labels(a["y"], n_classes, f"{args.data}: y")
        if len(x) != len(y):
            raise ValueError(f"{args.data}: {len(x)} inputs but {len(y)} labels")
        if tuple(x.shape[1:]) != tuple(input_shape):
            raise ValueError(f"{args.data}: inputs have shape {tuple(x.shape[1:])}, the model "
                             f"takes {tuple(input_shape)}")
        if not np.isfinite(x.astype(np.float64)).all():
            raise ValueError(f"{args.data}: x contains NaN or inf")
        return x.astype(np.float32), y, [str(i) for i in range(n_classes)], args.data, None
    if not args.dataset:
        raise ValueError("--dataset is required (or --data FILE.npz)")
    ds = _dataset(args.dataset, classes)
    from ..pipeline import check_compatible
    check_compatible(input_shape, n_classes, ds)
    return (getattr(ds, f"x_{args.split}"), getattr(ds, f"y_{args.split}"), ds.class_names,
            f"{ds.name} {args.split}", ds)


def cmd_eval(args):
    from . import evaluate as ev, qio
    if args.confusion:
        out_kind(args.confusion, ("png",), "--confusion")
    kind, model = qio.load_any(args.model)
    if kind == "float":
        x, y, names, what, ds = _eval_data(args, int(np.prod(model.output_shape)),
                                           model.input_shape, model.class_names)
        p = ev.float_predict(model, x)
        print(f"{what}: float accuracy {100 * ev.accuracy(p, y):.2f}% ({len(y)} samples, "
              f"{model.num_params()} params)")
        if ds is None and args.dataset:  # --data to test, --dataset to calibrate
            ds = _dataset(args.dataset, model.class_names)
        if ds is None:
            return _eval_int8(None, x, y, names, what, args)
        qm = _quantize(model, ds, args)
    else:
        qm = model
        x, y, names, what, ds = _eval_data(args, ev.num_classes(qm), qm.input_shape,
                                           qm.class_names)
        if qm.mean is None and ds is not None and (ds.mean != 0).any():
            print("warning: this model carries no mean/std (plain .tflite?): inputs are "
                  "quantized unnormalised; import it with --dataset to attach them",
                  file=sys.stderr)
    return _eval_int8(qm, x, y, qm.class_names or names, what, args)


def _eval_int8(qm, x, y, names, what, args):
    from .. import pipeline
    from . import evaluate as ev
    if qm is None:
        print("int8: skipped (a float model needs --dataset to calibrate)")
        return 0
    p = ev.int8_predict(qm, x)
    print(f"{what}: int8 (reference) accuracy {100 * ev.accuracy(p, y):.2f}%, "
          f"{ev.qmodel_bytes(qm)['total']} parameter bytes")
    if args.confusion:
        pipeline.confusion_png(ev.confusion(p, y, ev.num_classes(qm)), names, args.confusion,
                               title=f"int8 {what}")
        print(f"confusion matrix -> {args.confusion}")
    for board in [b for b in (args.boards or "").split(",") if b]:
        from ..board import device_eval
        res = device_eval.run(qm, x, board)
        device_eval.compare(qm, res, board)  # raises at the first byte that differs
        print(f"{what}: on {board} {100 * device_eval.accuracy(res['outputs'], y):.2f}%, "
              f"all {len(y)} outputs == reference; {device_eval.speed(res)} per predict, "
              f"arena {res['arena']} B, model file {res['model_bytes']} B")
    return 0
