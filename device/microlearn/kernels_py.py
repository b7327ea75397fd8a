# Plain-Python twins of the viper kernels: the reference the fast path is
# tested against, and the fallback where the native emitter is missing.
# Same arguments, same results (int32 two's-complement accumulators).


def _wrap32(v):
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def dot_i8(a, b, n):
    """Sum of a[i]*b[i] over n int8 elements of two byte buffers, as int32."""
    acc = 0
    for i in range(n):
        x = a[i]
        y = b[i]
        acc += (x - 256 if x > 127 else x) * (y - 256 if y > 127 else y)
    return _wrap32(acc)
