"""argparse side of the model subcommands (train, quantize, prune, export, import, eval):
one builder per subcommand for cli._COMMANDS, and number types that refuse nonsense."""
from __future__ import annotations

import argparse
import math

from ..data import NAMES


def _number(cast, ok, what):
    def parse(text):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return v
    parse.__name__ = what    # argparse shows the name in "invalid <name> value"
    return parse


positive_int = _number(int, lambda v: v >= 1, "an integer >= 1")
nonneg_int = _number(int, lambda v: v >= 0, "an integer >= 0")
positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
fraction = _number(float, lambda v: 0 < v < 1, "a fraction between 0 and 1 (exclusive)")


def _quant_opts(s):
    s.add_argument("--calibration", choices=("minmax", "percentile"), default="minmax",
                   help="activation range estimate (default minmax)")
    s.add_argument("--qat-epochs", type=nonneg_int, default=0,
                   help="quantization-aware fine-tuning epochs before PTQ (default 0)")
    s.add_argument("--seed", type=nonneg_int, default=0)


def train(s):
    s.add_argument("--dataset", required=True, choices=NAMES)
    s.add_argument("--out", required=True, help="float model .npz to write")
    s.add_argument("--classes", help="train on these classes only (a base model for learning "
                   "the others on the device): indices or ranges by index, e.g. 0-7 or 0,2,4-6, "
                   "or class names, e.g. PEN,ABD")
    s.add_argument("--seed", type=nonneg_int, default=0)
    s.add_argument("--epochs", type=positive_int, help="maximum epochs (early stopping on val)")
    s.add_argument("--batch-size", type=positive_int, help="samples per step (default 32)")
    s.add_argument("--lr", type=positive_float, help="Adam learning rate (default 3e-3)")
    s.add_argument("--patience", type=positive_int,
                   help="stop after this many epochs without a better validation loss")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--verbose", action="store_true",
                   help="progress bar even when stderr is not a terminal")


def quantize(s):
    s.add_argument("--model", required=True, help="float model .npz")
    s.add_argument("--dataset", required=True, choices=NAMES, help="calibration/test data")
    s.add_argument("--out", required=True,
                   help=".qmodel.npz, .tflite (both keep mean/std and class names) or .mlm")
    _quant_opts(s)


def prune(s):
    s.add_argument("--model", required=True)
    s.add_argument("--dataset", required=True, choices=NAMES)
    s.add_argument("--sparsity", type=fraction, help="unstructured: fraction of weights zeroed")
    s.add_argument("--channels", type=fraction, help="structured: fraction of channels removed")
    s.add_argument("--table", action="store_true", help="print the size/accuracy trade-offs")
    s.add_argument("--epochs", type=nonneg_int, default=6, help="fine-tuning epochs (default 6)")
    s.add_argument("--seed", type=nonneg_int, default=0)
    s.add_argument("--out", help="pruned float model .npz")


def export(s):
    s.add_argument("--model", required=True, help=".qmodel.npz, .tflite, .mlm or float .npz")
    s.add_argument("--out", required=True, help=".tflite or .mlm: the extension picks the format")
    s.add_argument("--format", choices=("tflite", "mlm"),
                   help="must agree with --out's extension (default: from the extension)")
    s.add_argument("--dataset", choices=NAMES, help="calibration data for a float model")
    s.add_argument("--board", help="with .mlm: say whether it fits this board's heap, whole or with "
                   "its weights streamed from the file (and the bytes read per inference); "
                   "refuse it if neither")
    _quant_opts(s)


def import_(s):
    s.add_argument("--tflite", required=True)
    s.add_argument("--dataset", choices=NAMES,
                   help="attach this dataset's mean/std and classes (for a .tflite made elsewhere)")
    s.add_argument("--out", help=".qmodel.npz, .tflite or .mlm to write")


def eval_(s):
    s.add_argument("--model", required=True, help="float .npz, .qmodel.npz, .tflite or .mlm")
    s.add_argument("--dataset", choices=NAMES)
    s.add_argument("--data", help="own test data: .npz with x (raw inputs) and y (labels)")
    s.add_argument("--split", choices=("test", "val", "train"), default="test")
    s.add_argument("--confusion", help="write the int8 confusion matrix PNG here (.png)")
    s.add_argument("--boards", help="also run the int8 model on these emulated boards, e.g. "
                   "unix32,m0; every output must equal the host reference")
    _quant_opts(s)


EXAMPLES = {
    "train": "examples:\n  microlearn train --dataset digits --out build/models/digits.npz\n"
             "  microlearn train --dataset digits --classes 0-7 --out build/models/digits-0-7.npz",
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
              "  microlearn export --model build/models/digits.qmodel.npz --out build/digits.tflite\n"
              "  microlearn export --model build/models/digits.npz --dataset digits "
              "--board rp2040 --out build/digits.mlm",
    "import": "example:\n  microlearn import --tflite build/digits.tflite "
              "--out build/models/digits.qmodel.npz",
    "eval": "examples:\n"
            "  microlearn eval --model build/models/digits.npz --dataset digits "
            "--confusion build/digits-confusion.png\n"
            "  microlearn eval --model build/digits.mlm --data my_test.npz\n"
            "  microlearn eval --model build/models/digits.qmodel.npz --dataset digits "
            "--boards unix32,m0",
}
