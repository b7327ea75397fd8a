"""`microlearn demo` (`make demo`): active learning with the board's button, on the emulated
RP2040 (m0).

A watch base model trained without user U meets U's stream (same-arm split: the first half
of each of U's recordings). The board (device/microlearn/app.py) predicts every window and
asks about the uncertain ones; a simulated user answers through button levels (it walks to
the class it means with long presses and clicks; it means a wrong class with probability
--errors and reacts after --react ms). Then: every learned weight on the board is checked
against the host twin that learned the same answers, accuracy before/after on U's test half,
and the same stream on the twin with every query strategy and random sampling, as a PNG of
accuracy against button presses.
"""
from __future__ import annotations

import os
import time

import numpy as np

from .. import modelfile
from ..board import profiles
from . import active, bases, boards, curve, scenario
from .ours import Ours

DEFAULT_OUT = os.path.join(profiles.ROOT, "build", "demo")


def _step(k, text):
    print("[%d/6] %s" % (k, text), flush=True)


def stream(u, seed, passes):
    """The windows the board sees, in order: `passes` passes over the user's recordings."""
    return np.array(active.passes(u.rec_stream, u.start_stream, seed, passes), np.int64)


def run_board(sc, order, args, on_learned):
    """The app on args.board; on_learned(time ms, stream position, class, answers, presses)
    as each answer is learned. Returns (results, head arrays)."""
    from ..board.runner import run_body
    heads = {}

    def on_line(line):
        if line.startswith("@q "):
            on_learned(*[int(v) for v in line.split()[1:]])
        elif line.startswith("@h "):
            _, name, hexdata = line.split()
            heads[name] = heads.get(name, b"") + bytes.fromhex(hexdata)
    cfg = "%s %d %d %d %d %d %d" % (args.strategy, args.every, round(100 * args.errors),
                                    args.react, args.period, args.seed, active.GUARD)
    files = {"m.mlm": modelfile.write(sc.qm), "x.bin": sc.xq_stream[order].tobytes(),
             "y.txt": " ".join(str(int(c)) for c in sc.y_stream[order]).encode(),
             "cfg.txt": cfg.encode()}
    try:
        v = run_body(args.board, "demo_app.py", files=files, timeout=900, on_line=on_line)["demo"]
    except RuntimeError as e:
        raise OSError(str(e)) from None
    return v, {k: np.frombuffer(b, boards._DTYPES[k]) for k, b in heads.items()}


def twin_check(sc, order, v, heads, board):
    """The twin learns the board's answers in the board's order; every element of the
    board's head must equal the twin's. Returns the twin."""
    ours = Ours(sc.qm, sc.names, guard=active.GUARD)
    pairs = v["learned"]
    for i in range(0, len(pairs), 2):
        ours.learn(sc.E_stream[order[pairs[i]]], int(pairs[i + 1]))
    st = ours.t.state()
    for name in boards.HEAD:
        if name not in heads:
            raise boards.BoardMismatch(f"{board}: the board did not report {name}")
        diff = boards.first_difference(name, heads[name], np.asarray(st[name]).astype(np.int64))
        if diff:
            raise boards.BoardMismatch(f"{board} differs from the twin after "
                                       f"{len(pairs) // 2} answers: {diff}")
    return ours


def png(path, title, curves, board_point):
    """Accuracy against button presses, one line per strategy, the board's run as a dot."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ..pipeline import save_png
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    for k, (g, a) in curves.items():
        ax.plot(g, [100 * x for x in a], marker="o", ms=3,
                label=k + (" (baseline)" if k == "random" else ""))
    ax.plot([board_point[0]], [100 * board_point[1]], "k*", ms=12, label="the board's run")
    ax.set_xlabel("button presses (gestures)")
    ax.set_ylabel("test accuracy, %")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, path)


def prepare(args):
    """(int8 base model, the user's data, the scenario, the order the board plays)."""
    from ..data import loso
    qm = bases.watch_base(args.user, 0)[1]
    u = loso.user_data(args.user, "same-arm")
    sc = scenario.watch_user(args.user, "same-arm", 0, qm=qm)
    return qm, u, sc, stream(u, args.seed, args.passes)


def interactive(args, keys=None):
    """You are the user: the app runs on a Unix port (args.board) in real time and your keys
    are its button (device/scripts/interactive_app.py says which). keys: for tests, an
    iterable of (seconds to wait, key) sent instead of the terminal's."""
    import subprocess
    import sys
    import tempfile
    import threading
    prof = profiles.load(args.board)
    if "binary" not in prof:
        raise ValueError(f"--interactive runs the app on a Unix port (unix, unix32), not "
                         f"{args.board}: its keys go to the process")
    qm, u, sc, order = prepare(args)
    print(f"new user {args.user}: {len(order)} windows, one every {args.period} ms; the board "
          f"asks about 1 in {args.every} ({args.strategy}). True classes are shown to help you.")
    with tempfile.TemporaryDirectory() as d:
        files = {"m.mlm": modelfile.write(qm), "x.bin": sc.xq_stream[order].tobytes(),
                 "cfg.txt": f"{args.strategy} {args.every} {args.period}".encode()}
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        env = dict(os.environ, MICROPYPATH=os.path.join(profiles.ROOT, "device"))
        script = os.path.join(profiles.ROOT, "device", "scripts", "interactive_app.py")
        from ..board.runner import _heap_arg
        proc = subprocess.Popen([prof["binary"], "-X", "heapsize=" + _heap_arg(prof), script],
                                cwd=d, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        names = sc.names

        def show():
            n = 0
            for line in iter(proc.stdout.readline, b""):
                text = line.decode(errors="replace").rstrip()
                if text.startswith("Is it") and n < len(order):
                    text += f"   [true: {names[int(sc.y_stream[order[n]])]}]"
                if not text.startswith("Is it") and "%" in text:
                    n += 1  # a prediction line: one window passed
                print(text, flush=True)
        reader = threading.Thread(target=show, daemon=True)
        reader.start()
        try:
            if keys is not None:
                for wait, k in keys:
                    time.sleep(wait)
                    proc.stdin.write(k.encode())
                    proc.stdin.flush()
            else:
                _terminal_keys(proc, sys.stdin)
        except (BrokenPipeError, KeyboardInterrupt):
            pass
        finally:
            try:
                proc.stdin.write(b"q")
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            proc.wait(timeout=30)
            reader.join(timeout=5)
    return 0 if proc.returncode == 0 else 1


def _terminal_keys(proc, tty_in):
    """Forward keys one by one (no Enter needed) until q or the app ends."""
    import termios
    import tty
    fd = tty_in.fileno()
    old = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        while proc.poll() is None:
            k = os.read(fd, 1)
            if not k:
                break
            proc.stdin.write(k)
            proc.stdin.flush()
            if k == b"q":
                break
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def main(args):
    t_start = time.monotonic()
    if not 0 <= args.errors < 1:
        raise ValueError(f"--errors {args.errors}: the share of wrong answers is 0 <= e < 1")
    out = args.out or DEFAULT_OUT
    os.makedirs(out, exist_ok=True)
    if args.interactive:
        return interactive(args)
    _step(1, f"base model for new user {args.user}: watch, trained without user {args.user} "
             f"(cached in build/learning/bases)")
    qm, u, sc, order = prepare(args)
    _step(2, f"user {args.user}'s stream: {len(order)} windows ({args.passes} passes over "
             f"{len(np.unique(u.rec_stream))} recordings), one every {args.period} ms of board "
             f"time; the board asks about 1 in {args.every} ({args.strategy})")
    _step(3, f"run the app on {args.board}; the simulated user answers with the button "
             f"({100 * args.errors:.0f}% wrong answers, {args.react} ms reaction)")
    names = sc.names
    y = sc.y_stream[order]

    def on_learned(t, pos, c, answers, presses):
        mark = "" if c == y[pos] else "  (a wrong answer)"
        print(f"  {t / 1000:6.1f} s board time  answer {answers:3d}: window {pos:3d} is "
              f"{names[c]:4s} (true {names[int(y[pos])]}), {presses} presses so far{mark}",
              flush=True)
    t0 = time.monotonic()
    v, heads = run_board(sc, order, args, on_learned)
    wall = time.monotonic() - t0
    _step(4, "check every learned weight on the board against the host twin")
    ours = twin_check(sc, order, v, heads, args.board)
    print(f"  {args.board}: w8, wm, bias, bm == twin, every element, after "
          f"{len(v['learned']) // 2} answers; the saved state has {v['saved_steps']} steps")
    _step(5, "accuracy on the user's test half (the board's head == the twin's)")
    base = curve.base_accuracy(sc)
    after = float(np.mean(ours.predict(sc.E_test) == sc.y_test))
    _step(6, "every query strategy and random sampling on the same stream (host twin)")
    curves = {}
    for k in active.STRATEGIES:
        r = active.simulate(sc, k, args.seed, every=args.every, per_class=20, err=args.errors,
                            max_passes=args.passes, rec=u.rec_stream, start=u.start_stream)
        curves[k] = (r["gestures"], r["acc"])
    path = os.path.join(out, f"active-user{args.user}.png")
    png(path, f"watch, new user {args.user} (same arm): accuracy against button presses, "
              f"1 question per {args.every} windows", curves, (v["presses"], after))
    unit = v["unit"]
    run = (f"{v['run'] / 1e6:.0f} M instructions (~{v['run'] / 125e6:.1f} s on an RP2040 at "
           f"125 MHz)" if unit == "instructions" else f"{v['run'] / 1e6:.1f} s")
    print(f"\nnew user {args.user}: {v['samples']} windows seen, {v['questions']} questions, "
          f"{len(v['learned']) // 2} answers learned, {v['presses']} button presses")
    print(f"  accuracy before {100 * base:.1f}%, after {100 * after:.1f}% "
          f"(the user's {len(sc.y_test)} test windows)")
    for k, (g, a) in curves.items():
        print(f"  twin, {k:8s} {100 * a[-1]:.1f}% after {g[-1]} presses")
    print(f"  board run: {run}; wall {wall:.0f} s under QEMU" if unit == "instructions" else
          f"  board run: {run}")
    print(f"  plot: {os.path.relpath(path)}   total {time.monotonic() - t_start:.0f} s")
    return 0
