"""`microlearn learn`: play a new user's labelled stream into the Learner's host twin (and
boards), print the learning curve, write a PNG against the baselines and the oracle."""
from __future__ import annotations

import os

import numpy as np

def add_args(s):
    from ..convert.cli_args import nonneg_int
    s.add_argument("--dataset", required=True, choices=("watch", "digits", "spoken-digits"))
    s.add_argument("--user", type=int, help="watch: the subject (1..10) who is the new user; "
                   "the base model is trained without them")
    s.add_argument("--split", choices=("same-arm", "other-arm"), default="same-arm",
                   help="watch: same-arm (first half of every recording is the stream, second "
                   "half the test) or other-arm (one arm's recordings stream, the other's test)")
    s.add_argument("--stream-arm", type=int, choices=(0, 1), default=0,
                   help="watch other-arm: the arm whose recordings are the stream (default 0)")
    s.add_argument("--new-classes", help="digits/spoken-digits: classes the base model leaves "
                   "out and the user teaches, e.g. 8,9 (indices, ranges or names)")
    s.add_argument("--model", help="int8 base model (.qmodel.npz, .tflite, .mlm) or float .npz "
                   "(default: a cached default model, trained without the user / new classes)")
    s.add_argument("--base-seed", type=nonneg_int, default=0, help="seed of the default base")
    s.add_argument("--order-seed", type=nonneg_int, default=0,
                   help="seed of the order the user labels the stream in")
    s.add_argument("--png", help="accuracy against labels per class (default "
                   "build/learning/learn-<dataset>-....png)")
    s.add_argument("--max-classes", type=int, help="the Learner's class capacity (default "
                   "the model's classes + 4); a smaller one needs less RAM")
    s.add_argument("--slots", type=int, help="replay slots per class (default: as many as fit "
                   "16 KB with the head, at most 20); fewer need less RAM")
    s.add_argument("--boards", help="also play the stream on these boards (e.g. unix32,m0): "
                   "their learned weights must equal the twin's, element for element")


def _validate(args):
    """Every argument error, before any work: the new classes (indices) or None."""
    if args.png:
        from ..convert.paths import out_kind
        out_kind(args.png, ("png",), "--png")
    if args.dataset == "watch":
        if args.new_classes:
            raise ValueError("--new-classes is for digits/spoken-digits; watch learns new users "
                             "(--user)")
        if args.user is None:
            raise ValueError("--dataset watch needs --user (a subject 1..10)")
        from ..data import loso
        if args.user not in loso.subjects():
            raise ValueError(f"--user {args.user}: watch subjects are "
                             f"{', '.join(map(str, loso.subjects()))}")
        return None
    if args.user is not None:
        raise ValueError(f"--user is for the watch dataset; {args.dataset} has no subject ids "
                         f"(use --new-classes)")
    if not args.new_classes:
        raise ValueError(f"--dataset {args.dataset} needs --new-classes (e.g. 8,9)")
    from ..data import load
    try:
        return _parse_new(args.new_classes, load(args.dataset).class_names)
    except ValueError as e:
        raise ValueError(f"--new-classes: {e}") from None


def _scenario(args, new):
    from . import scenario
    if args.dataset == "watch":
        return scenario.watch_user(args.user, args.split, args.base_seed, args.stream_arm,
                                   qm=_model(args))
    return scenario.new_classes(args.dataset, new, args.base_seed, qm=_model(args))


def _parse_new(spec, names):
    from ..data.dataset import parse_classes
    new = parse_classes(spec, names, min_count=1)
    if len(names) - len(new) < 2:
        raise ValueError(f"{spec!r} leaves {len(names) - len(new)} class for the base model; "
                         f"it needs >= 2")
    return new


def _model(args):
    if not args.model:
        return None
    from ..convert import qio
    kind, m = qio.load_any(args.model)
    if kind == "float":
        raise ValueError(f"{args.model}: give the int8 model (`microlearn quantize` makes it); "
                         f"the Learner adapts an int8 head")
    return m


def cmd_learn(args):
    from ..board import progress as prog
    from . import baselines, curve, embed
    from .ours import twin_module
    new = _validate(args)
    boards = [b for b in (args.boards or "").split(",") if b]
    if boards:
        from ..board import profiles
        unknown = [b for b in boards if b not in profiles.virtual_names()]
        if unknown:
            raise ValueError(f"--boards: {', '.join(unknown)} not a virtual board "
                             f"({', '.join(profiles.virtual_names())})")
    if args.max_classes is not None and not 2 <= args.max_classes <= 255:
        raise ValueError(f"--max-classes must be 2..255, got {args.max_classes}")
    if args.slots is not None and not 1 <= args.slots <= 4096:
        raise ValueError(f"--slots must be 1..4096, got {args.slots}")
    twin_module()  # the twin is the point of the command: fail before any work without it
    sc = _scenario(args, new)
    base = curve.base_accuracy(sc)
    hyper = {k: v for k, v in (("max_classes", args.max_classes), ("slots", args.slots))
             if v is not None}
    learners = curve.make_learners(sc, hyper)
    bar = prog.Bar(len(sc.y_stream), "learning", unit="label")
    try:
        res = curve.play(sc, args.order_seed, learners, progress=bar)
    finally:
        bar.close()
    orc = baselines.oracle(np.concatenate([sc.E_seed, sc.E_stream]),
                           np.concatenate([sc.y_seed, sc.y_stream]), sc.E_test, sc.y_test,
                           embed.head(sc.qm), len(sc.names))
    print(f"{sc.title}: {len(sc.y_stream)} stream examples, {len(sc.y_test)} test; "
          f"base model {100 * base:.1f}%, oracle {100 * orc['accuracy']:.1f}% "
          f"({orc['which'].replace('_', ' ')} head" +
          (f"; new classes {100 * curve.accuracies(orc['pred'], sc)['new']:.1f}%)"
           if sc.old is not None else ")"))
    key = "new" if sc.old is not None else "all"
    print(format_curve(res, key, sc.old is not None))
    png = args.png or os.path.join("build", "learning", _png_name(args))
    curve.png(png, sc.title + f", order seed {args.order_seed}", res["budgets"],
              res["curves"], base=None if sc.old is not None else base,
              oracle=curve.accuracies(orc["pred"], sc)[key], key=key)
    print(f"learning curve -> {png}")
    for b in boards:
        from .boards import check_board
        print(check_board(sc, args.order_seed, b, learners["ours"], hyper))
    return 0


def _png_name(args):
    if args.dataset == "watch":
        return f"learn-watch-s{args.user}-{args.split}-order{args.order_seed}.png"
    return (f"learn-{args.dataset}-new{args.new_classes.replace(',', '_')}-"
            f"order{args.order_seed}.png")


def format_curve(res, key="all", old_too=False) -> str:
    methods = list(res["curves"])
    head = "labels/class  played  " + "  ".join(f"{m:>12s}" for m in methods)
    rows = [head]
    for i, k in enumerate(res["budgets"]):
        cells = []
        for m in methods:
            a = res["curves"][m][i]
            cells.append(f"{100 * a[key]:6.1f}%" + (f" ({100 * a['old']:4.1f})" if old_too
                                                     else "      "))
        rows.append(f"{k:12d}  {res['played'][i]:6d}  " + "  ".join(f"{c:>12s}" for c in cells))
    if old_too:
        rows.append("(new-class accuracy; old classes' in brackets)")
    rows.append("RAM bytes     " + "  ".join(f"{res['ram'][m]:>12d}" for m in methods))
    return "\n".join(rows)
