# microlearn: int8 inference and on-device learning for MicroPython.
__version__ = "0.1.0"


class HeapFull(ValueError):
    """The heap cannot hold what a load needs (a ValueError: catch either)."""


def load(path, kernels=None, stream=None, wbuf=None, verify=True):
    """Load a .mlm model file (a path, or the file's bytes) -> engine.Model.
    ValueError if the file is bad or does not fit in the heap; TypeError if
    `path` is neither a str nor bytes. kernels: "best" (default: the inline
    assembler's where the firmware has it), "viper" (what an ESP32 runs) or "plain".
    stream: True keeps the weights in the file and reads each big layer's into a buffer of
    wbuf bytes as it runs (default: 16 KB, 8 KB on an ESP32; docs/streaming.md);
    None (default): in the heap if it fits, else streamed. verify: a streamed
    layer's bytes are checked against their CRC at load on every read."""
    buf = arena = None
    _forget()  # a dropped model's buffers, which the kernels' scratch may still point at
    if stream is None and isinstance(path, str):  # in the heap if it fits, else streamed
        try:
            return load(path, kernels, False)
        except HeapFull:
            import gc
            gc.collect()
            stream = True
    if stream:
        if not isinstance(path, str):
            raise TypeError("stream=True reads the weights from the file: give its path")
        return _engine().Model(path, kernels, None, (_wbuf(wbuf), verify))
    if isinstance(path, str):  # the two big blocks before any code: imports split the heap
        buf, arena = _read(path)
    try:
        Model = _engine().Model
    except ValueError:
        buf = arena = None
        raise
    if buf is None:
        return Model(path, kernels)
    f = [buf, arena]  # handed over: if the model does not fit, Model drops them before it
    buf = arena = None  # formats its error, and no frame here must still hold them
    return Model(path, kernels, f)


def _engine():
    try:
        from . import engine
    except (MemoryError, ImportError) as e:  # ImportError: what a full heap leaves behind
        import gc
        gc.collect()
        raise HeapFull("not enough heap to import the microlearn engine (%s): %d bytes free"
                         % (type(e).__name__, gc.mem_free()))
    return engine


def _wbuf(n):
    if n is None:  # the default weight buffer of a streamed model (docs/streaming.md)
        return 8192 if __import__("sys").platform == "esp32" else 16384
    if not isinstance(n, int) or n < 64:
        raise ValueError("wbuf must be an int >= 64 (bytes of the weight buffer), got %r" % (n,))
    return n


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
        raise HeapFull("model file %r needs %d bytes, only %d free" % (path, size, free))
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
        raise HeapFull("model file %r: %d bytes do not fit in the heap (%d free, not in one "
                         "block)" % (path, size, gc.mem_free()))



def Learner(model, path=None, *args, **options):
    """A Learner on `model`, restored from `path` if that file exists (see docs/learner.md).
    Its code is imported on first use, so `import microlearn` stays cheap. A function rather
    than a package __getattr__, which MicroPython would also consult on every `from . import x`
    inside the package. __import__, not an import statement: the QEMU test runner stages what
    import statements reach, and the Learner's code would be staged for every script."""
    return __import__("microlearn.learner", None, None, ("Learner",)).Learner(model, path, *args, **options)


def _forget():
    """Zero the kernels' scratch (kernels.forget), if they are imported: after a run it can
    hold a dropped model's addresses, which the conservative collector takes for references."""
    import sys
    k = sys.modules.get("microlearn.kernels")
    if k is not None:
        k.forget()
