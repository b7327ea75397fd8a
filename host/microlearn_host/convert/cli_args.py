"""argparse definitions of the model subcommands, each with a runnable example in --help."""
from __future__ import annotations

import argparse

from ..data import NAMES
from . import commands

EXAMPLES = {
    "train": "example:\n  microlearn train --dataset digits --out build/models/digits.npz",
    "quantize": "examples:\n"
                "  microlearn quantize --model build/models/digits.npz --dataset digits "
                "--out build/models/digits.qmodel.npz\n"
                "  microlearn quantize --model build/models/digits.npz --dataset digits "
                "--qat-epochs 3 --out build/models/digits.tflite",
    "prune": "examples:\n"
             "  microlearn prune --model build/models/digits.npz --dataset digits "
             "--channels 0.25 --out build/models/digits-small.npz\n"
             "  microlearn prune --model build/models/digits.npz --dataset digits "
             "--sparsity 0.5 --out build/models/digits-sparse.npz\n"
             "  microlearn prune --model build/models/digits.npz --dataset digits --table",
    "export": "examples:\n"
              "  microlearn export --model build/models/digits.qmodel.npz --format tflite "
              "--out build/digits.tflite\n"
              "  microlearn export --model build/models/digits.npz --dataset digits "
              "--format mlm --board rp2040 --out build/digits.mlm",
    "import": "example:\n  microlearn import --tflite build/digits.tflite --dataset digits "
              "--out build/models/digits.qmodel.npz",
    "eval": "examples:\n"
            "  microlearn eval --model build/models/digits.npz --dataset digits "
            "--confusion build/digits-confusion.png\n"
            "  microlearn eval --model build/models/digits.qmodel.npz --data my_test.npz\n"
            "  microlearn eval --model build/models/digits.qmodel.npz --dataset digits --boards unix32,m0",
}



def register(sub) -> None:
    """Add the model subcommands to an argparse subparsers object."""
    def add(name, help_, func):
        s = sub.add_parser(name, help=help_, epilog=EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        s.set_defaults(func=func)
        return s

    def quant_opts(s):
        s.add_argument("--calibration", choices=("minmax", "percentile"), default="minmax",
                       help="activation range estimate (default minmax)")
        s.add_argument("--qat-epochs", type=int, default=0,
                       help="quantization-aware fine-tuning epochs before PTQ (default 0)")
        s.add_argument("--seed", type=int, default=0)

    s = add("train", "train the default model of a dataset", commands.cmd_train)
    s.add_argument("--dataset", required=True, choices=NAMES)
    s.add_argument("--out", required=True, help="float model .npz to write")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--epochs", type=int, help="maximum epochs (early stopping on val)")
    s.add_argument("--verbose", action="store_true", help="progress bars")

    s = add("quantize", "float model -> int8 (.qmodel.npz or .tflite)", commands.cmd_quantize)
    s.add_argument("--model", required=True)
    s.add_argument("--dataset", required=True, choices=NAMES, help="calibration/test data")
    s.add_argument("--out", required=True, help=".qmodel.npz (keeps mean/std) or .tflite")
    quant_opts(s)

    s = add("prune", "magnitude pruning with fine-tuning", commands.cmd_prune)
    s.add_argument("--model", required=True)
    s.add_argument("--dataset", required=True, choices=NAMES)
    s.add_argument("--sparsity", type=float, help="unstructured: fraction of weights zeroed")
    s.add_argument("--channels", type=float, help="structured: fraction of channels removed")
    s.add_argument("--table", action="store_true", help="print the size/accuracy trade-offs")
    s.add_argument("--epochs", type=int, default=6, help="fine-tuning epochs (default 6)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", help="pruned float model .npz")

    s = add("export", "write a model for a device (.tflite or .mlm)", commands.cmd_export)
    s.add_argument("--model", required=True, help=".qmodel.npz, .tflite, or float .npz")
    s.add_argument("--format", required=True, choices=("tflite", "mlm"))
    s.add_argument("--out", required=True)
    s.add_argument("--dataset", choices=NAMES, help="calibration data for a float model")
    s.add_argument("--board", help="with --format mlm: refuse a model that does not fit this board's heap")
    quant_opts(s)

    s = add("import", "read an int8 .tflite, show it, optionally save as .qmodel.npz",
            commands.cmd_import)
    s.add_argument("--tflite", required=True)
    s.add_argument("--dataset", choices=NAMES, help="attach this dataset's mean/std and classes")
    s.add_argument("--out", help=".qmodel.npz (or .tflite) to write")

    s = add("eval", "float and int8 (reference) accuracy, confusion matrix PNG", commands.cmd_eval)
    s.add_argument("--model", required=True, help="float .npz, .qmodel.npz or .tflite")
    s.add_argument("--dataset", choices=NAMES)
    s.add_argument("--data", help="own test data: .npz with x (raw inputs) and y (labels)")
    s.add_argument("--split", choices=("test", "val", "train"), default="test")
    s.add_argument("--confusion", help="write the int8 confusion matrix PNG here")
    s.add_argument("--boards", help="also run the int8 model on these emulated boards, e.g. unix32,m0; "
                   "every output must equal the host reference")
    quant_opts(s)
