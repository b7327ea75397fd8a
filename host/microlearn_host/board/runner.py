"""Run a device script on a virtual board and collect what it reports.

    res = run_script("m0", "tests/device/check_dot.py", files={"m.mlm": data})
    res.ok, res.stdout, res.results, res.traceback

unix/unix32 run the Unix port with a heap cap and the device sources on
MICROPYPATH; qemu boards boot the firmware, mount a RAM filesystem over the
raw REPL, stage the package as .mpy for the board's arch, and import the
script. Lines the script prints as "@@ <json>" become `results`; on_line, if
given, sees every output line as it arrives (progress, streamed results). On
timeout the whole process group (interpreter or QEMU) is killed.
"""
import ast
import base64
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import tty

from . import mpy
from . import profiles as boards
from .rawrepl import RawRepl, ReplError, ReplTimeout

TESTS_DEVICE_DIR = os.path.join(boards.ROOT, "tests", "device")
# Board-side helper scripts the host sends: RAM filesystem, clock, bench and eval bodies.
SCRIPTS_DIR = os.path.join(boards.ROOT, "device", "scripts")
_RAMFS = os.path.join(SCRIPTS_DIR, "ramfs.py")
_CHUNK = 3072  # raw bytes per staging exec; its base64 stays small in the board's heap


class RunResult:
    def __init__(self, target, status, returncode, stdout, stderr, seconds):
        self.target, self.status, self.returncode = target, status, returncode
        self.stdout, self.stderr, self.seconds = stdout, stderr, seconds
        self.results = []
        for line in stdout.splitlines():
            if line.startswith("@@ "):
                try:
                    self.results.append(json.loads(line[3:]))
                except ValueError:
                    self.results.append({"check": "unparsable result line", "ok": False, "detail": line})

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def traceback(self):
        return self.stderr

    def checks(self):
        return [r for r in self.results if "check" in r]

    def failed(self):
        return [r for r in self.checks() if not r.get("ok")]

    def values(self):
        """{name: value} of the script's `result(...)` lines."""
        return {r["result"]: r.get("value") for r in self.results if "result" in r}

    def describe(self):
        lines = ["target %s: %s (exit %s, %.1f s)" % (self.target, self.status, self.returncode, self.seconds)]
        for r in self.failed()[:20]:
            lines.append("  FAILED %s: %s" % (r.get("check"), r.get("detail")))
        if self.stderr.strip():
            lines.append("  device traceback / stderr:\n" + _indent(self.stderr.strip()))
        tail = [l for l in self.stdout.splitlines() if not l.startswith("@@ ")][-15:]
        if tail:
            lines.append("  last output:\n" + _indent("\n".join(tail)))
        return "\n".join(lines)


def readable(line):
    """A line of script output for people: "@@ <json>" results become "check NAME ok",
    "check NAME FAILED: detail", "NAME = value", "done: N passed, M failed"."""
    if not line.startswith("@@ "):
        return line
    try:
        r = json.loads(line[3:])
    except ValueError:
        return line
    if not isinstance(r, dict):
        return json.dumps(r)
    if "check" in r:
        detail = r.get("detail")
        if r.get("ok"):
            return "check %s ok" % r["check"] + (" (%s)" % detail if detail else "")
        return "check %s FAILED" % r["check"] + (": %s" % detail if detail is not None else "")
    if "result" in r:
        v = r.get("value")
        return "%s = %s" % (r["result"], v if isinstance(v, str) else json.dumps(v))
    if r.get("done"):
        return "done: %s passed, %s failed" % (r.get("passed"), r.get("failed"))
    return json.dumps(r)


def _indent(text):
    return "\n".join("    " + l for l in text.splitlines())


def board_for(target):
    """Resolve a target name ('unix', 'unix32', 'm0', 'm3' or 'user') to its profile."""
    if target == "user":
        path = os.environ.get("MICROPYTHON")
        if not path:
            raise boards.BoardError("target 'user' needs MICROPYTHON=/path/to/micropython")
        return boards.user_unix_board(path)
    prof = boards.load(target)
    if prof["kind"] == "hardware":
        raise boards.BoardError("board %r is real hardware; use deploy, not the runner" % target)
    exe = prof.get("binary") or prof.get("firmware")
    if not os.path.exists(exe):
        raise boards.BoardError("target %s is not built: %s missing (run `make targets`)" % (target, exe))
    return prof


class _Lines:
    """Bytes in, whole lines (str, no line end) out to on_line."""

    def __init__(self, on_line):
        self.on_line, self.buf = on_line, b""

    def __call__(self, data):
        *lines, self.buf = (self.buf + data).split(b"\n")
        for line in lines:
            self.on_line(line.rstrip(b"\r").decode(errors="replace"))

    def close(self):
        if self.buf:
            self.on_line(self.buf.rstrip(b"\r").decode(errors="replace"))
            self.buf = b""


def run_script(target, script, files=None, timeout=120.0, icount=False, on_line=None):
    """Run `script` (a path) on `target`; `files` {name: bytes} appear in the script's cwd.

    icount=True (QEMU boards): the virtual clock counts instructions (1 ns each),
    so a board timer read by the script measures instructions, deterministically.
    on_line(str) sees each line the script prints, as it prints it.
    """
    prof = board_for(target)
    if icount and prof["kind"] == "qemu":
        prof = dict(prof, qemu_args=prof["qemu_args"] + ["-icount", "shift=0"])
    start = time.monotonic()
    feed = _Lines(on_line) if on_line else None
    if prof["kind"] == "unix":
        status, rc, out, err = _run_unix(prof, script, files or {}, timeout, feed)
    else:
        status, rc, out, err = _run_qemu(prof, script, files or {}, timeout, feed)
    if feed:
        feed.close()
    return RunResult(target, status, rc, out, err, time.monotonic() - start)


def _heap_arg(prof):
    if prof.get("heap_arg"):
        return prof["heap_arg"]
    # A user binary: cap at the board budget, doubled on 64-bit (objects are twice as large).
    probe = subprocess.run([prof["binary"], "-c", "import sys;print(sys.maxsize > 2**31)"],
                           capture_output=True, text=True, timeout=10)
    return "%dk" % (prof["heap_bytes"] // 1024 * (2 if "True" in probe.stdout else 1))


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _run_unix(prof, script, files, timeout, feed=None):
    cwd = tempfile.mkdtemp(prefix="mlrun-")
    try:
        for name, data in files.items():
            with open(os.path.join(cwd, name), "wb") as f:
                f.write(data)
        env = dict(os.environ)
        env["MICROPYPATH"] = ":".join([os.path.join(boards.ROOT, "device"), TESTS_DEVICE_DIR, ".frozen"])
        cmd = [prof["binary"], "-X", "heapsize=" + _heap_arg(prof), os.path.abspath(script)]
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        out, err, finished = _pump(proc, time.monotonic() + timeout, feed)
        if not finished:
            return "timeout", None, out.decode(errors="replace"), \
                err.decode(errors="replace") + "\n[killed after %.0f s timeout]" % timeout
        status = "ok" if proc.returncode == 0 else "error"
        return status, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    finally:
        shutil.rmtree(cwd, ignore_errors=True)


def _pump(proc, deadline, feed):
    """Read the process's stdout (fed as it comes) and stderr until both close or the deadline
    passes (then kill its group); return (stdout, stderr, finished)."""
    parts = {proc.stdout: [], proc.stderr: []}
    sel = selectors.DefaultSelector()
    for stream in parts:
        sel.register(stream, selectors.EVENT_READ)
    finished = True
    with sel:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0 and finished:
                finished = False
                _kill_group(proc)  # then read what is left: the pipes close
            for key, _ in sel.select(min(left, 0.5) if finished else 1.0):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                parts[key.fileobj].append(data)
                if feed and key.fileobj is proc.stdout:
                    feed(data)
    if finished:
        proc.wait()
    return b"".join(parts[proc.stdout]), b"".join(parts[proc.stderr]), finished


def start_qemu(prof, timeout=15.0):
    """Boot a QEMU board; return (process, pty fd)."""
    if shutil.which("qemu-system-arm") is None:
        raise boards.BoardError("qemu-system-arm is not installed (make deps)")
    cmd = ["qemu-system-arm"] + prof["qemu_args"] + ["-nographic", "-monitor", "null", "-semihosting",
                                                     "-serial", "pty", "-kernel", prof["firmware"]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        m = re.search(rb"redirected to (/dev/pts/\d+)", line)
        if m:
            fd = os.open(m.group(1).decode(), os.O_RDWR | os.O_NOCTTY)
            tty.setraw(fd)
            return proc, fd
    _kill_group(proc)
    raise boards.BoardError("QEMU did not start: %s" % seen.decode(errors="replace").strip())


def stage(repl, items, timeout):
    """Copy [(key, data, once)] into the board's RAM filesystem.

    All buffers are allocated first, in one exec, so they pack together at the
    bottom of the heap instead of being scattered between staging garbage.
    """
    repl.exec_("".join("_fs.new(%r, %d, %s)\n" % (k, len(d), o) for k, d, o in items), timeout)
    for key, data, _ in items:
        for off in range(0, len(data), _CHUNK):
            b64 = base64.b64encode(data[off:off + _CHUNK]).decode()
            out, err = repl.exec_("_fs.put(%r, %d, %r)" % (key, off, b64), timeout)
            if err:
                raise ReplError("staging %s failed on the board: %s" % (key, err.decode(errors="replace")))
    repl.exec_("import gc\ngc.collect()", timeout)


def _module_file(name):
    """Source file of a device-side module name, or None for built-ins."""
    parts = name.split(".")
    if parts[0] == "microlearn":
        base = os.path.join(boards.ROOT, "device", *parts)
        for cand in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(cand):
                return cand
        return None
    cand = os.path.join(TESTS_DEVICE_DIR, name + ".py")
    return cand if len(parts) == 1 and os.path.isfile(cand) else None


def needed_modules(script):
    """Device modules `script` can import, transitively (imports inside functions too).

    Only these are staged on a QEMU board: every staged byte is heap the
    script cannot use, as on a real board with its .mpy files in RAM.
    """
    todo, seen = [script], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        pkg = None
        if path.startswith(os.path.join(boards.ROOT, "device") + os.sep):
            rel = os.path.relpath(os.path.dirname(path), os.path.join(boards.ROOT, "device"))
            pkg = rel.replace(os.sep, ".")
        names = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = pkg + ("." + base if base else "") if pkg else base
                names.append(base)
                names += [base + "." + a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            for k in range(1, len(parts) + 1):  # a submodule needs its packages
                f = _module_file(".".join(parts[:k]))
                if f:
                    todo.append(f)
    seen.discard(script)
    return seen


def _run_qemu(prof, script, files, timeout, feed=None):
    deadline = time.monotonic() + timeout
    left = lambda: max(deadline - time.monotonic(), 0.1)
    proc, fd = start_qemu(prof)
    try:
        repl = RawRepl(fd)
        repl.enter(timeout=min(15.0, left()))
        with open(_RAMFS) as f:
            region = tuple(prof.get("file_region", (0, 0)))
            out, err = repl.exec_("_REGION = %r\n%s" % (region, f.read()), left())
        if err:
            return "error", 1, out.decode(errors="replace"), err.decode(errors="replace")
        arch = prof["arch"]
        staged = []
        for src in sorted(needed_modules(os.path.abspath(script))):
            if src.startswith(TESTS_DEVICE_DIR):
                rel = os.path.relpath(src, TESTS_DEVICE_DIR)
            else:
                rel = os.path.relpath(src, os.path.join(boards.ROOT, "device"))
            rel = rel[:-3] + ".mpy"
            staged.append((rel, mpy.compile_file(src, arch, os.path.join(mpy.CACHE_DIR, arch, "staged", rel))))
        staged.append(("_main.mpy", mpy.compile_file(script, prof["arch"], os.path.join(
            mpy.CACHE_DIR, prof["arch"], "scripts", os.path.basename(script)[:-3] + ".mpy"))))
        items = []
        for rel, path in staged:
            with open(path, "rb") as f:
                items.append((rel, f.read(), True))
        items += [(name, data, False) for name, data in files.items()]
        stage(repl, items, left())
        script_out = []  # the script's own output, without the staging before it

        def keep(data):
            script_out.append(data)
            if feed:
                feed(data)
        try:
            out, err = repl.exec_("import _main", left(), feed=keep)
        except ReplTimeout:
            out = b"".join(script_out).decode(errors="replace").replace("\r\n", "\n")
            return "timeout", None, out, "[killed after %.0f s timeout]" % timeout
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        return ("error" if err else "ok"), (1 if err else 0), out.replace("\r\n", "\n"), err.replace("\r\n", "\n")
    except ReplError as e:
        status = "timeout" if "in time" in str(e) else "error"
        return status, None, repl.seen.decode(errors="replace"), "%s\n[board: %s]" % (e, prof["name"])
    finally:
        os.close(fd)
        _kill_group(proc)


def run_body(target, body, files=None, timeout=600, on_line=None):
    """Run device/scripts/<body> with clock.py prepended (instruction counting on QEMU boards);
    return its {name: value} results, RuntimeError if it fails."""
    with open(os.path.join(SCRIPTS_DIR, "clock.py")) as f:
        src = f.read()
    with open(os.path.join(SCRIPTS_DIR, body)) as f:
        src += "\n" + f.read()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, body)
        with open(path, "w") as f:
            f.write(src)
        res = run_script(target, path, files=files, timeout=timeout, icount=True, on_line=on_line)
    if not res.ok:
        raise RuntimeError("benchmark %s failed on %s:\n%s" % (body, target, res.describe()))
    return res.values()
