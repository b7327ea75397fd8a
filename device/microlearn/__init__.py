# microlearn: int8 inference and on-device learning for MicroPython.
__version__ = "0.1.0"


def load(path, kernels=None):
    """Load a .mlm model file; returns an engine.Model (ValueError if the file is bad)."""
    from .engine import Model
    return Model(path, kernels)
