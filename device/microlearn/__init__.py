# microlearn: int8 inference and on-device learning for MicroPython.
__version__ = "0.1.0"


def load(path, kernels=None):
    """Load a .mlm model file (a path, or the file's bytes) -> engine.Model.
    ValueError if the file is bad or does not fit in the heap; TypeError if
    `path` is neither a str nor bytes. kernels: "best" (default: the inline
    assembler's where the firmware has it), "viper" (what an ESP32 runs) or "plain"."""
    buf = arena = None
    if isinstance(path, str):  # the two big blocks before any code: imports split the heap
        buf, arena = _read(path)
    try:
        from .engine import Model
    except (MemoryError, ImportError) as e:  # ImportError: what a full heap leaves behind
        buf = arena = None
        import gc
        gc.collect()
        raise ValueError("not enough heap to import the microlearn engine (%s): %d bytes free"
                         % (type(e).__name__, gc.mem_free()))
    if buf is None:
        return Model(path, kernels)
    f = [buf, arena]  # handed over: if the model does not fit, Model drops them before it
    buf = arena = None  # formats its error, and no frame here must still hold them
    return Model(path, kernels, f)


def _read(path):
    """(file bytes, its arena or None) read into the heap; ValueError if they do not fit."""
    import gc
    import os
    try:
        size = os.stat(path)[6]
    except OSError:
        raise ValueError("cannot open model file %r" % path)
    gc.collect()
    free = gc.mem_free()
    if size > free:
        raise ValueError("model file %r needs %d bytes, only %d free" % (path, size, free))
    buf = None
    try:
        buf = bytearray(size)
        with open(path, "rb") as f:
            got = f.readinto(buf)
        if got != size:
            raise ValueError("model file %r: read %d of %d bytes" % (path, got or 0, size))
        # the arena too, if the header is sane (engine.Model checks it all and says what is wrong)
        n = int.from_bytes(buf[12:16], "little") if size > 16 and buf[:4] == b"MLRN" else 0
        return buf, (bytearray(n) if 0 < n <= gc.mem_free() else None)
    except MemoryError:
        buf = None
        gc.collect()
        raise ValueError("model file %r: %d bytes do not fit in the heap (%d free, not in one "
                         "block)" % (path, size, gc.mem_free()))



def Learner(model, path=None, *args, **options):
    """A Learner on `model`, restored from `path` if that file exists (see docs/learner.md).
    Its code is imported on first use, so `import microlearn` stays cheap. A function rather
    than a package __getattr__, which MicroPython would also consult on every `from . import x`
    inside the package. __import__, not an import statement: the QEMU test runner stages what
    import statements reach, and the Learner's code would be staged for every script."""
    return __import__("microlearn.learner", None, None, ("Learner",)).Learner(model, path, *args, **options)
