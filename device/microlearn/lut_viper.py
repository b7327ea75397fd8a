# Raw 32-bit table lookup in viper: dst[i] = table[src[i]] for a byte index.
# Used to dequantize int8 outputs into an array('f') without creating float
# objects (on most ports every float is a heap object).
import micropython


@micropython.viper
def lut32(src: ptr8, table: ptr32, dst: ptr32, n: int):
    i = 0
    while i < n:
        dst[i] = table[src[i]]
        i += 1
