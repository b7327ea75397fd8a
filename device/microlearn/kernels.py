# Kernel selection: viper where the firmware can run it, else the plain twins.
# Signatures and p layouts are documented in kernels_viper*.py; the engine
# calls only the names exported here. softmax: softmax_viper.py, twin softmax.py.
from . import kernels_py, kernels_py_pool
from .compat import native_kernels
from .softmax import softmax

_native = native_kernels()
NATIVE = _native is not None
_impl, _pool = kernels_py, kernels_py_pool
if NATIVE:
    _impl = _native
    try:  # fails where kernels_viper does, but never break the import
        from . import kernels_viper_pool as _pool
    except (ImportError, SyntaxError, ValueError):
        pass
    try:
        from .softmax_viper import softmax
    except (ImportError, SyntaxError, ValueError):
        pass

dot_i8 = _impl.dot_i8
fc = _impl.fc
conv = _impl.conv
dwconv = _impl.dwconv
pad = _pool.pad
avgpool = _pool.avgpool
maxpool = _pool.maxpool
mean = _pool.mean
add = _pool.add
