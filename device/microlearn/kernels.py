# Kernel selection: viper where the firmware can run it, else the plain twins
# (imported only then: code is heap on a board). Signatures and p layouts are
# documented in kernels_viper*.py; the engine calls only the names exported
# here. softmax: softmax_viper.py, twin softmax.py; quantize (float input):
# quantize_viper.py, twin quantize.py.
# RAW: fc/conv/dwconv read their int32 tables from raw little-endian buffers
# (views into the model file, no copy); RAW_SOFTMAX: softmax's table likewise.
from .compat import native_kernels

_native = native_kernels()
NATIVE = _native is not None
RAW = NATIVE
RAW_SOFTMAX = False
if NATIVE:
    _impl = _native
    try:  # fails where kernels_viper does, but never break the import
        from . import kernels_viper_pool as _pool
    except (ImportError, SyntaxError, ValueError):
        from . import kernels_py_pool as _pool
    try:
        from .softmax_viper import softmax
        RAW_SOFTMAX = True
    except (ImportError, SyntaxError, ValueError):
        from .softmax import softmax
    try:
        from .quantize_viper import quantize
    except (ImportError, SyntaxError, ValueError):
        from .quantize import quantize
else:
    from . import kernels_py as _impl, kernels_py_pool as _pool
    from .softmax import softmax
    from .quantize import quantize

dot_i8 = _impl.dot_i8
fc = _impl.fc
conv = _impl.conv
dwconv = _impl.dwconv
pad = _pool.pad
avgpool = _pool.avgpool
maxpool = _pool.maxpool
mean = _pool.mean
add = _pool.add
