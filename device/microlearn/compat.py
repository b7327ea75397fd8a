# The one place for optional imports, so every target degrades the same way.
# ulab is a C module only some firmwares have; the native emitter (viper) is
# missing on some ports, where importing viper code fails to compile or load.

try:
    from ulab import numpy as np
except ImportError:
    np = None


def native_kernels():
    """The viper kernel module, or None where this firmware cannot run it."""
    try:
        from . import kernels_viper
    except (ImportError, SyntaxError, ValueError):  # ValueError: .mpy of another arch
        return None
    return kernels_viper


def native_learn():
    """The Learner's viper loops (learn_viper), or None where this firmware cannot run them."""
    try:
        from . import learn_viper
    except (ImportError, SyntaxError, ValueError):
        return None
    return learn_viper
