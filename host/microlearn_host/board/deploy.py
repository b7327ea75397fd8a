"""Deploy microlearn to a board with mpremote.

Precompile device/ for the board's arch, ask the board which files it has
(sha256), copy only what differs as "<name>.new" (making missing parents such
as /lib), then rename all of them in one step, remove the package's stale .py
sources (they would shadow the .mpy files) and re-hash: a failed copy leaves the
old package whole, and success is only reported once every file on the board
matches and a fresh import of the package reports the expected version.
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


def _root(lib):
    """The board's root for board.json and models: "/" on boards; a lib dir given relative (the
    Unix port, whose "/" is the host's) means the working directory."""
    return "/" if lib.startswith("/") else ""


def plan(board, model=None):
    """[(local file, path on board)] for the package, the board profile and a model."""
    lib = board.get("lib_dir", "/lib")
    root = _root(lib)
    files = [(local, (lib + "/" if lib else "") + rel) for rel, local in mpy.device_package(board["arch"])]
    files.append((board["path"], root + "board.json"))
    if model:
        if not os.path.isfile(model):
            raise DeployError("model file %s does not exist" % model)
        files.append((model, root + os.path.basename(model)))
    return files


def parents(paths):
    """Every directory the paths need, parents first ("/lib", "/lib/microlearn")."""
    dirs = set()
    for p in paths:
        parts = p.split("/")[:-1]
        for k in range(1, len(parts) + 1):
            d = "/".join(parts[:k])
            if d:
                dirs.add(d)
    return sorted(dirs, key=lambda d: (d.count("/"), d))


# What the board has before we touch it: .mpy format, platform, whether microlearn is already
# imported in this session (then running code keeps the old version until a reset), and the
# package's .py sources (an earlier `mpremote mip install`), which MicroPython would import in
# preference to the .mpy files deploy copies.
_PROBE = """
import sys, json, os
def py_files(d):
    out = []
    try:
        items = list(os.ilistdir(d))
    except OSError:
        return out
    for it in items:
        p = d + '/' + it[0]
        if it[1] & 0x4000:
            out += py_files(p)
        elif it[0].endswith('.py'):
            out.append(p)
    return out
print('@@ ' + json.dumps([sys.implementation._mpy, sys.platform, 'microlearn' in sys.modules,
                          py_files(PKG)]))
"""

_MKDIRS = """
import os
for d in DIRS:
    try:
        os.stat(d)
    except OSError:
        os.mkdir(d)
print('@@ "made"')
"""

# Forget the loaded package so the check imports what is on the board now.
_VERSION = """
import sys, json
for k in list(sys.modules):
    if k == 'microlearn' or k.startswith('microlearn.'):
        del sys.modules[k]
import microlearn
print('@@ ' + json.dumps([microlearn.__version__, getattr(microlearn, '__file__', '')]))
"""


def deploy(board_name, port, model=None, log=print, timeout=60):
    """Copy what differs; return the list of board paths copied.

    board_name is a profile name or the path of a profile file (*.json)."""
    board = boards.load(board_name)
    if board["kind"] == "qemu":
        raise DeployError("board %s has no filesystem to deploy to; the test runner stages code "
                          "there" % board_name)
    if not port:
        raise DeployError("no PORT given: make deploy BOARD=%s PORT=/dev/ttyACM0" % board_name)
    files = plan(board, model)
    pkg = os.path.dirname(files[0][1])  # <lib>/microlearn
    if model and board["kind"] == "hardware":
        from . import budget_stream
        with open(model, "rb") as f:  # before touching the board: fits whole or streamed
            for line in budget_stream.report(f.read(), board_name):
                log(line)
    remote = Mpremote(port, timeout)
    mpy_value, platform, imported, stale = remote.exec_json("PKG = %r\n%s" % (pkg, _PROBE))
    check_compat(board, mpy_value)
    log("board on %s: %s, .mpy v%d.%d %s" % ((port, platform) + parse_mpy(mpy_value)))

    paths = [dst for _, dst in files]
    before = remote.exec_json("PATHS = %r\n%s" % (paths, _HASHES))
    todo = [(src, dst) for src, dst in files if before.get(dst) is None
            or before[dst] != _local_hash(src, before[dst])]
    log("%d files, %d up to date, %d to copy" % (len(files), len(files) - len(todo), len(todo)))
    if todo:
        # A freshly flashed board has no /lib: make every missing parent.
        args = ["exec", "DIRS = %r\n%s" % (parents([d for _, d in todo]), _MKDIRS)]
        for src, dst in todo:
            args += ["+", "fs", "cp", src, ":" + dst + ".new"]
        remote.run(*args)
        remote.exec_json("PATHS = %r\n%s" % ([d for _, d in todo], _RENAME))
    if stale:
        remote.exec_json("import os\nfor p in %r:\n    os.remove(p)\nprint('@@ 0')" % stale)
        log("removed %d stale source file(s) that would shadow the .mpy files: %s"
            % (len(stale), ", ".join(stale)))
    after = remote.exec_json("PATHS = %r\n%s" % (paths, _HASHES))
    wrong = [dst for src, dst in files if after.get(dst) is None or after[dst] != _local_hash(src, after[dst])]
    if wrong:
        raise DeployError("files on the board do not match after copying: %s" % ", ".join(wrong))
    version = _local_version()
    got, where = remote.exec_json(_VERSION)
    if got != version:
        raise DeployError("the board imports microlearn %s from %s, expected %s (another copy "
                          "earlier on sys.path?)" % (got, where or "?", version))
    log("microlearn %s imported on the board; %d files copied" % (got, len(todo)))
    if imported and (todo or stale):
        log("microlearn was already imported on the board before this deploy: code running there "
            "(and objects made from it) keeps the old version until you reset the board "
            "(Ctrl-D at its REPL, or machine.reset())")
    return [dst for _, dst in todo]


def _local_version():
    with open(os.path.join(mpy.DEVICE_DIR, "microlearn", "__init__.py")) as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split("=")[1].strip().strip("\"'")
    raise DeployError("no __version__ in device/microlearn/__init__.py")
