# Float input -> int8 model input with float objects: the plain twin of
# quantize_viper.py (same signature, same bits), for firmwares without viper.
# Every intermediate is stored in an array('f') so that it is rounded to
# float32 as on the host even where MicroPython floats are doubles. It boxes
# floats, so it allocates on most ports.
import struct
from array import array
from micropython import const

_CLAMP = const(1000)  # |y| beyond this saturates anyway; keeps int() small


def quantize(x, wide, n, norm, c, sc, out, zp):
    """See quantize_viper.quantize: returns -1 or the index of the first NaN/infinity."""
    f = array("f", [0.0])
    fmt = "<d" if wide else "<f"
    size = 8 if wide else 4
    scale = struct.unpack_from("<f", sc, 0)[0]
    for i in range(n):
        ch = i % c
        f[0] = struct.unpack_from(fmt, x, size * i)[0]
        v = f[0]
        if v != v or v - v != 0:  # NaN, or inf (inf - inf is NaN)
            return i
        f[0] = v - struct.unpack_from("<f", norm, 4 * ch)[0]
        f[0] = f[0] / struct.unpack_from("<f", norm, 4 * (c + ch))[0]
        f[0] = f[0] / scale
        v = f[0]
        v = _CLAMP if v > _CLAMP else (-_CLAMP if v < -_CLAMP else v)
        r = int(v)  # std::round: half away from zero, exact on float32 and double
        d = v - r
        if d >= 0.5:
            r += 1
        elif d <= -0.5:
            r -= 1
        r += zp
        out[i] = (127 if r > 127 else (-128 if r < -128 else r)) & 0xFF
    return -1
