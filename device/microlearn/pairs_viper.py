# Weights into the "pair" form (kernels_viper_pair.py says why it is exact): for each
# output channel, W = w1 + 65536 * w0 for each pair of its n int8 weights (the last one
# paired with 0 when n is odd), then zero pairs up to n2p. Shared by the viper pair conv
# and the Thumb one (kernels_thumb.py), which pack a block of channels per layer call.
import micropython


@micropython.viper
def pack_w(w: ptr8, wsc: ptr32, o0: int, nb: int, n: int, n2p: int) -> int:
    # channels o0 .. o0 + nb - 1 of OHWI w (n bytes each) into nb * n2p pairs; 0 if a
    # pair's weights are both -128
    j = 0
    for o in range(nb):
        k = (o0 + o) * n
        i = j + (n >> 1)
        while j < i:
            w0 = w[k]
            w1 = w[k + 1]
            if (w0 | (w1 << 8)) == 0x8080:  # both -128
                return 0
            wsc[j] = ((w1 ^ 0x80) - 0x80) + (((w0 ^ 0x80) - 0x80) << 16)
            j += 1
            k += 2
        i = n >> 1
        if n & 1:  # the last weight, paired with 0
            wsc[j] = ((w[k] ^ 0x80) - 0x80) << 16
            j += 1
            i += 1
        while i < n2p:
            wsc[j] = 0
            j += 1
            i += 1
    return 1
