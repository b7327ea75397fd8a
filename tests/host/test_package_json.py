"""package.json (for mpremote mip install) lists exactly the device modules."""
import json
import os
import sys

from microlearn_host.board.profiles import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import update_package_json  # noqa: E402


def test_package_json_matches_device_tree():
    with open(os.path.join(ROOT, "package.json")) as f:
        got = json.load(f)
    assert got == update_package_json.expected(), "run: python3 tools/update_package_json.py"
    for dst, src in got["urls"]:
        assert os.path.isfile(os.path.join(ROOT, src)), src
