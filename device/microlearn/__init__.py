# microlearn: int8 inference and on-device learning for MicroPython.
__version__ = "0.1.0"


def load(path, kernels=None):
    """Load a .mlm model file (a path, or the file's bytes) -> engine.Model.
    ValueError if the file is bad or does not fit in the heap; TypeError if
    `path` is neither a str nor bytes."""
    try:
        from .engine import Model
    except (MemoryError, ImportError) as e:  # ImportError: what a full heap leaves behind
        import gc
        gc.collect()
        raise ValueError("cannot import the microlearn engine (%s): %d bytes free"
                         % (type(e).__name__, gc.mem_free()))
    return Model(path, kernels)


def __getattr__(name):
    # microlearn.Learner on first use (as asyncio does): `import microlearn` stays cheap.
    # MicroPython also asks here on `from . import submodule`: import it (its ImportError,
    # a full heap's too, stays one). __import__, not an import statement: the QEMU runner
    # stages what import statements reach, and the Learner's code would be in every test.
    if name.startswith("__"):
        raise AttributeError(name)
    m = __import__("microlearn." + ("learner" if name == "Learner" else name), None, None, (name,))
    return m.Learner if name == "Learner" else m
