# Kernel selection: viper where the firmware can run it, else the plain twins
# (imported only then: code is heap on a board). Signatures and p layouts are
# documented in kernels_viper*.py; the engine calls only the names exported
# here. softmax: softmax_viper.py, twin softmax.py; quantize (float input, quantizer()):
# quantize_viper.py, twin quantize.py.
# RAW: fc/conv/dwconv read their int32 tables from raw little-endian buffers
# (views into the model file, no copy); RAW_SOFTMAX: softmax's table likewise.
# gc.collect() before each import: the loader's garbage is reclaimed between modules,
# so the code lands packed low in the heap instead of strewn over it (which would
# leave no big free block for the next model file).
import gc

from . import compat as _compat
from .compat import native_kernels, quantizer as _quantizer

gc.collect()
_native = native_kernels()
NATIVE = _native is not None
# sys.implementation._mpy bits 10-13: the native arch; 4..8 are armv6m .. armv7emdp, where
# the firmware may have the inline Thumb assembler
_ARCH = (getattr(__import__("sys").implementation, "_mpy", 0) >> 10) & 15
_scratch = None
if NATIVE and 4 <= _ARCH <= 8:
    # the Thumb kernels' scratch, made before any kernel code (a block found later, in a heap
    # the imports have cut up, may not exist): 2 KB, what the budget counts, or 4 KB (faster)
    # where the heap has room to spare: >= 72 KB free now, before the kernels' ~34 KB of code
    # and the budget's peak and reserve (26 KB) are taken (and a streamed model's block:
    # compat.tight)
    gc.collect()
    _scratch = bytearray(4096 if gc.mem_free() - _compat.tight >= 73728 else 2048)
RAW = NATIVE
RAW_SOFTMAX = False
if NATIVE:
    _impl = _native
    gc.collect()
    try:  # fails where kernels_viper does, but never break the import
        from . import kernels_viper_pool as _pool
    except (ImportError, SyntaxError, ValueError):
        from . import kernels_py_pool as _pool
    gc.collect()
    try:
        from .softmax_viper import softmax
        RAW_SOFTMAX = True
    except (ImportError, SyntaxError, ValueError):
        from .softmax import softmax
else:
    from . import kernels_py as _impl, kernels_py_pool as _pool
    from .softmax import softmax


def _twin_quantize():
    from .quantize import quantize
    return quantize


def quantizer():
    """quantize (float input -> int8): viper where it runs, else the twin. Imported here with
    the kernels, or, when the engine set compat.tight (streamed weights), on first
    use: a model fed int8 bytes (a camera's) never spends its ~4 KB."""
    global _q
    if _q is None:
        gc.collect()
        _q = _quantizer() if NATIVE else _twin_quantize()
    return _q


_q = None
if not _compat.tight:
    quantizer()


# THUMB: the inline-assembler fc, conv and dwconv (kernels_thumb.py), where the firmware has
# @micropython.asm_thumb (rp2; not esp32, not the Unix ports)
THUMB = False
# Elsewhere (x86, x64, xtensa) the module is not even compiled: from source that would cost
# ~8 KB.
if _scratch is not None:
    gc.collect()
    try:
        from . import kernels_thumb as _thumb
        _thumb.scratch(_scratch)
        THUMB = True
    except (ImportError, SyntaxError, ValueError, AttributeError, NameError):
        pass
_scratch = None
# W32: viper on 32-bit words (ESP32; m0 with kernels="viper"): conv in the pair form and
# depthwise on word loads (kernels_viper_pair.py, kernels_viper32.py). Imported only where
# they run: on an RP2040 the assembler kernels take these layers.
W32 = NATIVE and __import__("sys").maxsize < (1 << 32)


def _w32():
    gc.collect()
    from . import kernels_viper32 as k32, kernels_viper_pair as kvp
    _hold(k32._ACC, kvp._X, kvp._W)
    return kvp.conv, k32.dwconv


# The kernels' module-level scratch: after a run it can hold addresses of that run's buffers
# (the Thumb context) or words that look like them, which MicroPython's conservative collector
# takes for references, so a dropped model's memory would stay taken until the next run.
_held = []


def _hold(*bufs):
    for b in bufs:
        for h in _held:
            if h is b:
                break
        else:
            _held.append(b)


if hasattr(_pool, "_SUMS"):
    _hold(_pool._SUMS)
if THUMB:
    _hold(_thumb._CTX, _thumb._PQ, _thumb._TAPS, _thumb._PD, _thumb._PADC, _thumb._PADI, _thumb._PW)


def forget():
    """Zero that scratch: load() does it before it allocates, Model.close() after a model."""
    for b in _held:
        for i in range(len(b)):
            b[i] = 0


dot_i8 = _impl.dot_i8
fc = _thumb.fc if THUMB else _impl.fc
if THUMB:
    conv, dwconv = _thumb.conv, _thumb.dwconv
elif W32:
    conv, dwconv = _w32()
else:
    conv, dwconv = _impl.conv, _impl.dwconv
pad = _thumb.pad if THUMB else _pool.pad
# where the arena plan lays a padding layer's copy over its input (no later layer reads it)
pad_inplace = _thumb.pad_inplace if THUMB else _pool.pad_inplace
avgpool = _pool.avgpool
maxpool = _pool.maxpool
mean = _pool.mean
add = _pool.add


class _Set:
    """A kernel set other than the best: what load(path, kernels=name) runs on."""


def named(name):
    """The kernel set `name`: "best" (this module: the assembler's fc/conv/dwconv where
    the firmware has it), "viper" (no assembler: what an ESP32 runs, to measure it here;
    the plain twins where there is no viper either) or "plain" (the Python twins)."""
    if name == "best":
        return __import__("microlearn.kernels", None, None, ("fc",))
    if name not in ("viper", "plain"):
        raise ValueError("unknown kernel set %r; known: best, viper, plain" % (name,))
    s = _Set()
    g = globals()
    for k in ("dot_i8", "avgpool", "maxpool", "mean", "add", "softmax", "quantizer", "pad_inplace",
              "RAW", "RAW_SOFTMAX", "NATIVE"):
        setattr(s, k, g[k])
    s.fc, s.conv, s.dwconv, s.pad, s.THUMB = _impl.fc, _impl.conv, _impl.dwconv, _pool.pad, False
    if name == "viper" and W32:
        s.conv, s.dwconv = _w32()
    if name == "plain":
        from . import kernels_py as kp, kernels_py_pool as kpp
        from .softmax import softmax as sm
        for k in ("dot_i8", "fc", "conv", "dwconv"):
            setattr(s, k, getattr(kp, k))
        for k in ("pad", "pad_inplace", "avgpool", "maxpool", "mean", "add"):
            setattr(s, k, getattr(kpp, k))
        s.softmax, s.RAW, s.RAW_SOFTMAX, s.NATIVE = sm, False, False, False
        s.quantizer = _twin_quantize
    return s
