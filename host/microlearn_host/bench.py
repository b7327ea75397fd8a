"""`microlearn bench`: speed and memory on the virtual boards -> docs/benchmarks.md.

Each bench body in mp/bench_*.py runs with mp/clock.py prepended; on m0 QEMU
runs with -icount so its clock counts instructions (QEMU's wall time says
nothing about a real MCU). Results are measured, never asserted.
"""
import datetime
import os
import platform
import tempfile

from . import boards
from .runner import run_script

_MP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp")
DOC = os.path.join(boards.ROOT, "docs", "benchmarks.md")
TARGETS = ("unix", "unix32", "m0")


def run_body(target, body, files=None, timeout=600):
    with open(os.path.join(_MP, "clock.py")) as f:
        src = f.read()
    with open(os.path.join(_MP, body)) as f:
        src += "\n" + f.read()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, body)
        with open(path, "w") as f:
            f.write(src)
        res = run_script(target, path, files=files, timeout=timeout, icount=True)
    if not res.ok:
        raise RuntimeError("benchmark %s failed on %s:\n%s" % (body, target, res.describe()))
    return res.values()


def _rate(pair, unit):
    t, macs = pair
    if unit == "us":
        return "%.2f M MAC/s" % (macs / t) if t else "-"
    return "%.1f instr/MAC" % (t / macs)


def dot_section(targets):
    rows = ["| target | unit | viper | plain twin | viper / twin | ulab dot |", "|---|---|---|---|---|---|"]
    for t in targets:
        v = run_body(t, "bench_dot.py")["dot"]
        speed = lambda k: v[k][0] / v[k][1]  # time per MAC
        ratio = "%.0fx" % (speed("plain") / speed("viper")) if "viper" in v else "-"
        rows.append("| %s | %s | %s | %s | %s | %s |" % (
            t, v["unit"], _rate(v["viper"], v["unit"]) if "viper" in v else "no native emitter",
            _rate(v["plain"], v["unit"]), ratio, _rate(v["ulab"], v["unit"]) if "ulab" in v else "no ulab"))
    return "## int8 dot kernel (256x256 mat-vec)\n\n" + "\n".join(rows) + "\n"


def main(args):
    targets = [t for t in args.targets.split(",") if t]
    sections = [dot_section(targets)]
    text = "# Benchmarks\n\nMeasured by `make bench` (`.venv/bin/microlearn bench --targets %s`) on %s, %s.\n" \
           "Unix times are microseconds on this host; `m0` runs under `qemu-system-arm -icount shift=0` and " \
           "counts instructions (a Cortex-M0+ at 125 MHz runs roughly one instruction per cycle, " \
           "so instructions/125 ~ microseconds on an RP2040, before flash wait states).\n\n" % (
               ",".join(targets), platform.node() or "this machine", datetime.date.today().isoformat())
    text += "\n".join(sections)
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    with open(DOC, "w") as f:
        f.write(text)
    print(text)
    print("written to", os.path.relpath(DOC))
    return 0
