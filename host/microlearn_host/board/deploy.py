"""Deploy microlearn to a board with mpremote.

Precompile device/ for the board's arch, ask the board which files it has
(sha256), copy only what differs as "<name>.new", then rename all of them in
one step and re-hash: a failed copy leaves the old package whole, and success
is only reported once every file on the board matches.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

from . import mpy
from . import profiles as boards

MPY_VERSION = (6, 3)  # MicroPython 1.26's .mpy format
# sys.implementation._mpy bits 10+ hold the native arch (py/persistentcode.h).
ARCH_CODES = {0: None, 1: "x86", 2: "x64", 3: "armv6", 4: "armv6m", 5: "armv7m", 6: "armv7em",
              7: "armv7emsp", 8: "armv7emdp", 9: "xtensa", 10: "xtensawin", 11: "rv32imc", 12: "rv64imc"}


class DeployError(OSError):
    pass


def parse_mpy(value):
    """sys.implementation._mpy -> (version, sub-version, arch name or None)."""
    return value & 0xFF, (value >> 8) & 3, ARCH_CODES.get(value >> 10, "unknown(%d)" % (value >> 10))


def check_compat(board, mpy_value):
    ver, sub, arch = parse_mpy(mpy_value)
    if (ver, sub) != MPY_VERSION:
        raise DeployError("the board runs a MicroPython whose .mpy format is v%d.%d; microlearn is "
                          "compiled for v%d.%d (MicroPython 1.26). Flash MicroPython 1.26 or newer "
                          "with the same .mpy version." % ((ver, sub) + MPY_VERSION))
    if arch != board["arch"]:
        raise DeployError("the board reports native arch %s but profile %r says %s: wrong BOARD?"
                          % (arch, board["name"], board["arch"]))


class Mpremote:
    def __init__(self, port, timeout=60):
        self.port, self.timeout = port, timeout
        exe = os.path.join(os.path.dirname(sys.executable), "mpremote")
        self.exe = exe if os.path.exists(exe) else shutil.which("mpremote")
        if not self.exe:
            raise DeployError("mpremote is not installed (make venv)")

    def run(self, *args):
        # `resume`: no soft reset, which would end a Unix-port board and lose nothing on hardware.
        cmd = [self.exe, "connect", self.port, "resume"] + list(args)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise DeployError("the board on %s does not answer (no reply in %d s): is it running "
                              "MicroPython, and is no other program using the port?" % (self.port, self.timeout))
        if proc.returncode != 0:
            msg = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise DeployError("mpremote on %s failed: %s" % (self.port, msg[-1] if msg else "exit %d" % proc.returncode))
        return proc.stdout

    def exec_json(self, code):
        out = self.run("exec", code)
        for line in reversed(out.splitlines()):
            if line.startswith("@@ "):
                return json.loads(line[3:])
        raise DeployError("unexpected reply from the board on %s: %r" % (self.port, out[-300:]))


_HASHES = """
import json, os
try:
    import hashlib
except ImportError:
    hashlib = None
def h(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    d = hashlib.sha256() if hashlib else None
    n = 0
    b = bytearray(512)
    while True:
        k = f.readinto(b)
        if not k:
            break
        n += k
        if d:
            d.update(memoryview(b)[:k])
    f.close()
    return d.digest().hex() if d else 'size:%d' % n
print('@@ ' + json.dumps({p: h(p) for p in PATHS}))
"""

_RENAME = """
import os
for p in PATHS:
    try:
        os.remove(p)
    except OSError:
        pass
    os.rename(p + '.new', p)
print('@@ "renamed"')
"""


def _local_hash(path, remote_kind):
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha256(data).hexdigest() if not remote_kind.startswith("size:") else "size:%d" % len(data)


def plan(board, model=None):
    """[(local file, path on board)] for the package, the board profile and a model."""
    lib = board.get("lib_dir", "/lib")
    files = [(local, (lib + "/" if lib else "") + rel) for rel, local in mpy.device_package(board["arch"])]
    files.append((os.path.join(boards.BOARDS_DIR, board["name"] + ".json"), (lib and "/") + "board.json"))
    if model:
        if not os.path.isfile(model):
            raise DeployError("model file %s does not exist" % model)
        files.append((model, (lib and "/") + os.path.basename(model)))
    return files


def deploy(board_name, port, model=None, log=print, timeout=60):
    """Copy what differs; return the list of board paths copied."""
    board = boards.load(board_name)
    if board["kind"] == "qemu":
        raise DeployError("board %s has no filesystem to deploy to; the test runner stages code there" % board_name)
    if not port:
        raise DeployError("no PORT given: make deploy BOARD=%s PORT=/dev/ttyACM0" % board_name)
    files = plan(board, model)
    if model and board["kind"] == "hardware":
        from . import budget
        with open(model, "rb") as f:
            budget.check(f.read(), board_name)  # before touching the board
    remote = Mpremote(port, timeout)
    info = remote.exec_json("import sys, json; print('@@ ' + json.dumps([sys.implementation._mpy, sys.platform]))")
    check_compat(board, info[0])
    log("board on %s: %s, .mpy v%d.%d %s" % ((port, info[1]) + parse_mpy(info[0])))

    paths = [dst for _, dst in files]
    before = remote.exec_json("PATHS = %r\n%s" % (paths, _HASHES))
    todo = [(src, dst) for src, dst in files if before.get(dst) is None
            or before[dst] != _local_hash(src, before[dst])]
    log("%d files, %d up to date, %d to copy" % (len(files), len(files) - len(todo), len(todo)))
    if todo:
        dirs = sorted({os.path.dirname(d) for _, d in todo if os.path.dirname(d)}, key=len)
        mk = "import os\nfor d in %r:\n    try:\n        os.mkdir(d)\n    except OSError:\n        pass\n" % dirs
        args = ["exec", mk]
        for src, dst in todo:
            args += ["+", "fs", "cp", src, ":" + dst + ".new"]
        remote.run(*args)
        remote.exec_json("PATHS = %r\n%s" % ([d for _, d in todo], _RENAME))
    after = remote.exec_json("PATHS = %r\n%s" % (paths, _HASHES))
    wrong = [dst for src, dst in files if after.get(dst) is None or after[dst] != _local_hash(src, after[dst])]
    if wrong:
        raise DeployError("files on the board do not match after copying: %s" % ", ".join(wrong))
    version = _local_version()
    got = remote.exec_json("import json, microlearn\nprint('@@ ' + json.dumps(microlearn.__version__))")
    if got != version:
        raise DeployError("the board imports microlearn %s, expected %s (another copy earlier on sys.path?)" % (got, version))
    log("microlearn %s imported on the board; %d files copied" % (got, len(todo)))
    return [dst for _, dst in todo]


def _local_version():
    with open(os.path.join(mpy.DEVICE_DIR, "microlearn", "__init__.py")) as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split("=")[1].strip().strip("\"'")
    raise DeployError("no __version__ in device/microlearn/__init__.py")
