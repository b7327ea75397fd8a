"""The `microlearn` command: one entry point, one subcommand per job.

Examples:
  microlearn train --dataset digits --out build/models/digits.npz
  microlearn quantize --model build/models/digits.npz --dataset digits --out build/models/digits.qmodel.npz
  microlearn eval --model build/models/digits.qmodel.npz --dataset digits --confusion build/digits.png
  microlearn export --model build/models/digits.qmodel.npz --out build/digits.tflite
  microlearn demo                                  active learning with the button on the emulated RP2040 (m0)
  microlearn bench                                 measure speed and memory -> docs/benchmarks.md
  microlearn deploy --board rp2040 --port /dev/ttyACM0
  microlearn run m0 tests/device/check_dot.py      run a device script on a virtual board
  microlearn learn --dataset watch --user 3 --split same-arm    a new user teaches the Learner
  microlearn stream --port /dev/ttyACM0 --model watch.mlm       a user's samples to a board's app
  microlearn boards                                list board profiles
"""
import argparse
import os
import sys

from .board import profiles as boards
from .convert import cli_args


def _cmd_boards(args):
    for name in boards.names():
        b = boards.load(name)
        print("%-8s %-9s %-9s heap %6d B  %s" % (name, b["kind"], b["arch"], b["heap_bytes"], b["description"]))
    return 0


def _cmd_deploy(args):
    from .board.deploy import deploy
    deploy(args.board, args.port, model=args.model, timeout=args.timeout)
    return 0


def _cmd_run(args):
    from .board.runner import readable, run_script
    if not os.path.isfile(args.script):
        raise ValueError("no such script: %s" % args.script)
    res = run_script(args.target, args.script, timeout=args.timeout,
                     on_line=lambda line: print(readable(line), flush=True))
    if res.status == "timeout":
        raise OSError("%s on %s did not finish within %g s (stopped it)"
                      % (args.script, args.target, args.timeout))
    if not res.ok:
        sys.stderr.write("%s on %s failed:\n%s\n"
                         % (args.script, args.target, res.traceback.strip()))
    return 0 if res.ok and not res.failed() else 1


def _cmd_demo(args):
    if args.inference:
        from .demo import main as demo_main
        return demo_main(args)
    from .learn.demo import main as active_main
    return active_main(args)


def _cmd_bench(args):
    from .bench.report import main as bench_main
    return bench_main(args)


def _cmd_learn(args):
    from .learn.command import cmd_learn
    return cmd_learn(args)


def _args_learn(s):
    from .learn.command import add_args
    add_args(s)


def _args_boards(s):
    pass


def _args_deploy(s):
    s.add_argument("--board", required=True, help="board profile: %s, or the path of a profile .json"
                   % ", ".join(boards.names()))
    s.add_argument("--port", default="", help="serial port, e.g. /dev/ttyACM0 or /dev/ttyUSB0")
    s.add_argument("--model", help="model file to copy too")
    s.add_argument("--timeout", type=cli_args.positive_float, default=60,
                   help="seconds to wait for the board")


def _args_run(s):
    s.add_argument("target", help="unix, unix32, m0, m3, or user (MICROPYTHON=path)")
    s.add_argument("script")
    s.add_argument("--timeout", type=cli_args.positive_float, default=120)


def _args_demo(s):
    s.add_argument("--user", type=int, default=3, choices=range(1, 11), metavar="1..10",
                   help="the new user (watch subject) the base model has not seen (default 3)")
    s.add_argument("--board", default="m0", help="virtual board the app runs on (default m0)")
    s.add_argument("--strategy", default="margin", choices=("margin", "least", "entropy", "random"))
    s.add_argument("--every", type=cli_args.positive_int, default=4,
                   help="about one question per EVERY windows (default 4)")
    s.add_argument("--errors", type=float, default=0.0,
                   help="share of wrong answers the simulated user gives (default 0)")
    s.add_argument("--react", type=cli_args.positive_int, default=400,
                   help="the simulated user's reaction time, ms (default 400)")
    s.add_argument("--period", type=cli_args.positive_int, default=1000,
                   help="board time between windows, ms (the watch hop: 1000)")
    s.add_argument("--passes", type=cli_args.positive_int, default=2,
                   help="passes over the user's recordings (default 2)")
    s.add_argument("--interactive", action="store_true",
                   help="you are the user: keys in this terminal are the button (on --board unix)")
    s.add_argument("--inference", action="store_true",
                   help="the inference demo instead: train, quantize and run --dataset on --targets")
    s.add_argument("--dataset", default="digits", choices=("digits", "spoken-digits", "watch"))
    s.add_argument("--targets", default="unix32,m0", help="comma-separated virtual boards")
    s.add_argument("--seed", type=cli_args.nonneg_int, default=0)
    s.add_argument("--out", help="output folder (default build/demo)")


def _cmd_stream(args):
    from .board.stream import main as stream_main
    return stream_main(args)


def _args_stream(s):
    s.add_argument("--port", required=True, help="the board's serial port, e.g. /dev/ttyACM0")
    s.add_argument("--model", required=True, help="the .mlm the board runs (quantizes the samples)")
    s.add_argument("--user", type=int, default=3, choices=range(1, 11), metavar="1..10",
                   help="whose watch windows to send (default 3)")
    s.add_argument("--period", type=cli_args.positive_float, default=1.0,
                   help="seconds between samples (default 1: the watch hop)")


def _args_bench(s):
    s.add_argument("--targets", default="unix,unix32,m0", help="comma-separated virtual boards")
    s.add_argument("--only", choices=("engine", "learning", "tradeoff", "active", "speed", "streaming"),
                   help="run one section (engine: the dot product, the kernels and whole models on "
                   "--targets, ~3 min; learning: the Learner on its host twin, then its cost on "
                   "--targets, minutes; tradeoff: its same-arm against other-arm table alone, "
                   "~5 min; active: query strategies against random, ~5 min; speed: models "
                   "layer by layer on the kernel sets, m0 and Unix, ~2 min; streaming: big models "
                   "in RAM against streamed, m0 and m0big, ~3 min) and replace it "
                   "in docs/benchmarks.md")


def _model_cmd(name):
    """Handler of a model subcommand, imported when it runs (numpy, tflite load lazily)."""
    def run(args):
        from .convert import commands
        return getattr(commands, "cmd_" + name)(args)
    return run


# name -> (handler, argument builder, one-line help, --help example: a real, runnable command)
_COMMANDS = {
    "train": (_model_cmd("train"), cli_args.train, "train the default model of a dataset",
              cli_args.EXAMPLES["train"]),
    "quantize": (_model_cmd("quantize"), cli_args.quantize,
                 "float model -> int8 (.qmodel.npz, .tflite or .mlm)", cli_args.EXAMPLES["quantize"]),
    "prune": (_model_cmd("prune"), cli_args.prune, "magnitude pruning with fine-tuning",
              cli_args.EXAMPLES["prune"]),
    "export": (_model_cmd("export"), cli_args.export, "write a model for a device (.tflite or .mlm)",
               cli_args.EXAMPLES["export"]),
    "import": (_model_cmd("import"), cli_args.import_,
               "read an int8 .tflite, show it, optionally save it", cli_args.EXAMPLES["import"]),
    "eval": (_model_cmd("eval"), cli_args.eval_,
             "float and int8 (reference) accuracy, confusion matrix PNG", cli_args.EXAMPLES["eval"]),
    "learn": (_cmd_learn, _args_learn,
              "play a new user's labelled stream into the Learner (host twin, boards): "
              "learning curve and PNG against the baselines",
              "examples:\n"
              "  microlearn learn --dataset watch --user 3 --split same-arm --order-seed 0\n"
              "  microlearn learn --dataset digits --new-classes 8,9 --png build/learn-digits.png\n"
              "  microlearn learn --dataset watch --user 3 --split other-arm --boards unix32,m0 "
              "--max-classes 8 --slots 8"),
    "boards": (_cmd_boards, _args_boards, "list board profiles", "example:\n  microlearn boards"),
    "deploy": (_cmd_deploy, _args_deploy, "copy microlearn (and a model) to a board with mpremote",
               "example:\n  microlearn deploy --board rp2040 --port /dev/ttyACM0 --model digits.mlm"),
    "run": (_cmd_run, _args_run, "run a device script on a virtual board",
            "example:\n  microlearn run unix32 tests/device/check_dot.py"),
    "demo": (_cmd_demo, _args_demo,
             "active learning with the button on the emulated RP2040 (or --inference)",
             "examples:\n  microlearn demo --user 3 --every 4 --errors 0.1\n"
             "  microlearn demo --interactive --board unix --period 2000\n"
             "  microlearn demo --inference --dataset digits --targets unix32,m0"),
    "stream": (_cmd_stream, _args_stream,
               "send a watch user's samples to a board running the app over USB serial",
               "example:\n  microlearn stream --port /dev/ttyACM0 --model watch.mlm --user 3"),
    "bench": (_cmd_bench, _args_bench,
              "measure speed and memory on the virtual boards, write docs/benchmarks.md",
              "example:\n  microlearn bench --targets unix,unix32,m0"),
}


def build_parser():
    p = argparse.ArgumentParser(prog="microlearn", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, add_args, help_, example) in _COMMANDS.items():
        s = sub.add_parser(name, help=help_, epilog=example,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        add_args(s)
        s.set_defaults(func=func)
    return p


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # usage errors (exit 2) and --help (exit 0), callable from tests
        return e.code
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ValueError, OSError) as e:
        print("microlearn %s: error: %s" % (args.command, e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
