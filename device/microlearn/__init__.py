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
    # Learner on first use (as asyncio does): `import microlearn` stays cheap.
    if name == "Learner":
        from .learner import Learner
        return Learner
    if name.startswith("__"):
        raise AttributeError(name)
    # MicroPython asks here first on `from . import submodule`: import it. Its ImportError
    # stays one (a full heap gives one too, and load() turns that into a clear ValueError).
    return __import__("microlearn." + name, None, None, (name,))
