"""`microlearn demo`: the int8 kernel on every virtual board, as a table."""
import os

from . import mpy
from .runner import board_for, run_script

_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp", "kernel_demo.py")


def main(args):
    targets = [t for t in args.targets.split(",") if t]
    print("256x256 int8 mat-vec with the viper dot kernel, checked against its plain-Python twin\n")
    print("%-7s %-7s %-6s %-6s %-8s %12s %14s %10s" % ("target", "arch", "bits", "viper", "matches",
                                                       "viper us", "plain us (est)", ".mpy bytes"))
    bad = 0
    for t in targets:
        res = run_script(t, _SCRIPT, timeout=300)
        v = res.values().get("demo")
        if not res.ok or not v:
            print("%-7s FAILED\n%s" % (t, res.describe()))
            bad += 1
            continue
        arch = board_for(t)["arch"]
        size = sum(os.path.getsize(p) for _, p in mpy.device_package(arch))
        # The plain twin runs 16 of the 256 rows; scale to the whole mat-vec.
        per_row = "-" if v["us_plain16"] is None else "%.0f" % (v["us_plain16"] * 16)
        print("%-7s %-7s %-6d %-6s %-8s %12s %14s %10d" % (
            t, arch, v["bits"], "yes" if v["native"] else "no", "yes" if v["match"] else "NO",
            "-" if v["us_fast"] is None else v["us_fast"], per_row, size))
        bad += 0 if v["match"] and v["native"] else 1
    print("\n(QEMU boards have no clock: their speed says nothing about a real MCU.)")
    return 1 if bad else 0
