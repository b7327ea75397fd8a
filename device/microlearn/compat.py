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


# Set by the engine before it imports the kernels for a model with streamed weights: the bytes
# its block will take. The kernels then leave the float input's quantize to its first use
# (quantizer()) and size their scratch for the heap the block leaves.
tight = 0


def quantizer():
    """Float input's quantize: quantize_viper where this firmware runs viper, else the twin."""
    try:
        from .quantize_viper import quantize
    except (ImportError, SyntaxError, ValueError):
        from .quantize import quantize
    return quantize


def native_learn():
    """The Learner's viper loops (learn_viper), or None where this firmware cannot run them."""
    try:
        from . import learn_viper
    except (ImportError, SyntaxError, ValueError):
        return None
    return learn_viper


try:
    from time import ticks_add, ticks_diff
except ImportError:  # the QEMU boards' minimal firmware has no time module (their loops
    # pass in their own clock): the same arithmetic, on MicroPython's 2**30 ticks period
    def ticks_add(t, delta):
        return (t + delta) & 0x3FFFFFFF

    def ticks_diff(t1, t0):
        return ((t1 - t0 + 0x20000000) & 0x3FFFFFFF) - 0x20000000
