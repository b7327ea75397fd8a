"""Write package.json for `mpremote mip install package.json` (from a checkout) from device/microlearn.

Run after adding or removing a device module; tests/host/test_package_json.py
fails while package.json and device/ disagree.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expected():
    pkg = os.path.join(ROOT, "device", "microlearn")
    files = sorted(f for f in os.listdir(pkg) if f.endswith(".py"))
    with open(os.path.join(pkg, "__init__.py")) as f:
        version = next(l.split("=")[1].strip().strip("\"'") for l in f if l.startswith("__version__"))
    # mip resolves relative URLs against package.json's own location.
    return {"urls": [["microlearn/" + f, "device/microlearn/" + f] for f in files],
            "deps": [], "version": version}


def main():
    with open(os.path.join(ROOT, "package.json"), "w") as f:
        json.dump(expected(), f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
