# Kernel selection: viper where the firmware can run it, else the plain twins.
from . import kernels_py
from .compat import native_kernels

_native = native_kernels()
NATIVE = _native is not None
_impl = _native if NATIVE else kernels_py

dot_i8 = _impl.dot_i8
