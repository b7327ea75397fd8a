# Every viper kernel against its plain-Python twin, byte for byte, on random
# layers and on requantization extremes (multipliers near 2**30 and 2**31-1,
# shifts -31..+30, accumulators up to +-2**31 where the left shift is legal).
# Where the firmware has the inline assembler (m0, m3), the Thumb fc, conv and
# dwconv (kernels_thumb.py) run every fc, conv, dwconv and requantization case too; on
# 32-bit words (unix32, m0, m3) so do the pair and word kernels' conv and dwconv
# (kernels_viper_pair.py, kernels_viper32.py: what an ESP32 runs).
import gc
import sys
import micropython
from array import array
from devtest import check, result, done, target, Rand
from microlearn import kernels, kernels_py as kp, kernels_py_pool as kpp

result("target", target())
check("viper kernels selected", kernels.NATIVE, "kernels.NATIVE is False: native emitter missing?")
from microlearn import kernels_viper as kv, kernels_viper_pool as kvp  # noqa: E402
ALSO = {}  # byte kernel: [(name, faster kernel with its arguments)]
if sys.maxsize < (1 << 32):
    check("32-bit word kernels selected", kernels.W32, "32-bit words, kernels.W32 is False")
    from microlearn import kernels_viper32 as k32, kernels_viper_pair as kpr  # noqa: E402
    ALSO[kv.conv] = [("w32", kpr.conv)]
    ALSO[kv.dwconv] = [("w32", k32.dwconv)]
try:  # does this firmware have the inline assembler? (a decorator the compiler knows)
    exec("@micropython.asm_thumb\ndef _f(r0):\n    add(r0, 1)\n")
    ASM = True
except (SyntaxError, NameError, AttributeError):
    ASM = False
if ASM:  # then the engine must have picked them
    check("thumb kernels selected", kernels.THUMB, "asm_thumb exists, kernels.THUMB is False")
    from microlearn import kernels_thumb as kt  # noqa: E402
    for f, t in ((kv.fc, kt.fc), (kv.conv, kt.conv), (kv.dwconv, kt.dwconv), (kvp.pad, kt.pad),
                 (kvp.pad_inplace, kt.pad_inplace)):
        ALSO[f] = ALSO.get(f, []) + [("thumb", t)]
result("thumb", ASM)
result("w32", kernels.W32)

_rand = Rand(2024)
rnd = _rand.rnd
rint = _rand.rint



def rbytes(n):
    mode = rnd() % 8  # sometimes saturated buffers: the extremes of int8
    b = bytearray(n)  # filled in place: one allocation, no list or growing buffer first
    for i in range(n):
        b[i] = 0x80 if mode == 0 else 0x7F if mode == 1 else rnd() & 0xFF
    return b


def rmult():
    k = rnd() % 6
    if k == 0:
        return 0x7FFFFFFF
    if k == 1:
        return 1 << 30
    return (1 << 30) + rint(0, (1 << 30) - 1)


def rshift(bound):
    """Mostly a right shift; else a left one that keeps |acc| <= bound inside int32."""
    if rnd() & 3:
        return -rint(0, 14)
    s = 0
    while s < 30 and bound << (s + 1) < (1 << 31):
        s += 1
    return rint(0, s)


bad = []
counts = {}
alloc = []  # viper kernels that allocated (they run under heap_lock)


def compare(kind, case, fv, fp, args_v, args_p, out_v, out_p):
    a = args_v
    n = len(a)
    micropython.heap_lock()  # no allocation inside kernels: not even boxing an int >= 2**30
    try:  # fixed-arity calls: f(*a) would allocate
        if n == 7:
            fv(a[0], a[1], a[2], a[3], a[4], a[5], a[6])
        elif n == 4:
            fv(a[0], a[1], a[2], a[3])
        else:
            fv(a[0], a[1], a[2])
    except MemoryError:
        if kind not in alloc:
            alloc.append(kind)
    finally:
        micropython.heap_unlock()
    fp(*args_p)
    counts[kind] = counts.get(kind, 0) + 1
    if out_v != out_p and len(bad) < 5:
        i = next(i for i in range(len(out_v)) if out_v[i] != out_p[i])
        bad.append("%s case %d: first difference at %d: fast kernel %d twin %d" % (kind, case, i, out_v[i], out_p[i]))


def run2(kind, case, fv, fp, ins, n_out, p):
    ov, op = bytearray(n_out), bytearray(n_out)
    compare(kind, case, fv, fp, tuple(ins) + (ov, p), tuple(ins) + (op, p), ov, op)
    for name, f in ALSO.get(fv, ()):
        ot, op = bytearray(n_out), bytearray(n_out)
        compare(name + " " + kind, case, f, fp, tuple(ins) + (ot, p), tuple(ins) + (op, p), ot, op)


# --- requantization through fc with n_in = 0 (acc = bias), one output a call -
# out_zp = -(twin's MultiplyByQuantizedMultiplier) + small, so any result (not
# only those near int8) shows in the output byte.
def inv_odd(a):  # a**-1 mod 2**31 (Newton), every product < 2**62
    x = a
    for _ in range(5):
        x = (x * ((2 - a * x) & 0x7FFFFFFF)) & 0x7FFFFFFF
    return x


def requant_case(case, a, m, s):
    acc, mult, shift = array('i', [a]), array('i', [m]), array('i', [s])
    zp = max(min(rint(-60, 60) - kp.mbqm(a, m, s), 0x7FFFFFFF), -(1 << 31))  # v + zp fits int32
    p = array('i', [0, 1, zp, -128, 127])
    run2("requant", case, kv.fc, kp.fc, (b"", b"", acc, mult, shift), 1, p)


case = 0
for a in (1, 3, 7, 255, 32767, 32769, (1 << 30) - 1, (1 << 30) + 1, 0x7FFFFFFF):
    for e in (-1, 0, 1):  # |acc| * m == 2**30 + e (mod 2**31): the nudge's ties
        m = (((1 << 30) + e) * inv_odd(a)) & 0x7FFFFFFF
        for sign in (1, -1):
            requant_case(case, sign * a, m, 0)
            requant_case(case + 1, sign * a, m, -rint(1, 31))
            case += 2
for a in (0, 1, -1, 0x7FFFFFFF, -0x7FFFFFFF, -(1 << 31)):
    for m in (0, 1, 1 << 30, 0x7FFFFFFF):
        for s in (0, -1, -31):
            requant_case(case, a, m, s)
            case += 1
for _ in range(300):
    ka = rint(0, 31)
    a = rint(0, (1 << ka) - 1) if ka < 30 else rint(0, (1 << 30) - 1) * 2 + (rnd() & 1)
    a = -a if rnd() & 1 else a
    km = rint(0, 31)
    m = rint(0, (1 << km) - 1) if km < 30 else rmult()
    s = -rint(0, 31)
    if rnd() & 1:  # left shift, only as far as it stays inside int32
        s = 0
        while s < 30 and abs(a) << (s + 1) < (1 << 31):
            s += 1
        s = rint(0, s)
    requant_case(case, a, m, s)
    case += 1

# --- fully connected -------------------------------------------------------
for case in range(25):
    n_in, n_out = rint(0, 40), rint(1, 8)
    x, w = rbytes(n_in), rbytes(n_in * n_out)
    bias = array('i', [rint(-100000, 100000) for _ in range(n_out)])
    bound = 100000 + 16384 * n_in
    mult = array('i', [rmult() for _ in range(n_out)])
    shift = array('i', [rshift(bound) for _ in range(n_out)])
    lo = rint(-128, 0)
    p = array('i', [n_in, n_out, rint(-128, 127), lo, rint(lo, 127)])
    run2("fc", case, kv.fc, kp.fc, (x, w, bias, mult, shift), n_out, p)

# --- conv / depthwise conv on padded inputs ---------------------------------
for case in range(48):
    dw = case & 1
    kh, kw, sh, sw, c = rint(1, 3), rint(1, 3), rint(1, 2), rint(1, 2), rint(1, 3)
    ph, pw = kh + rint(0, 3), kw + rint(0, 3)
    oh, ow = (ph - kh) // sh + 1, (pw - kw) // sw + 1
    m = rint(1, 3) if dw else rint(1, 4)  # depth multiplier, or output channels
    n_oc = c * m if dw else m
    x = rbytes(ph * pw * c)
    w = rbytes(kh * kw * n_oc * (1 if dw else c))
    bias = array('i', [rint(-50000, 50000) for _ in range(n_oc)])
    bound = 50000 + 16384 * kh * kw * (1 if dw else c)
    mult = array('i', [rmult() for _ in range(n_oc)])
    shift = array('i', [rshift(bound) for _ in range(n_oc)])
    lo = rint(-128, 0)
    p = array('i', [ph, pw, c, oh, ow, m, kh, kw, sh, sw, rint(-128, 127), lo, rint(lo, 127)])
    if dw:
        run2("dwconv", case, kv.dwconv, kp.dwconv, (x, w, bias, mult, shift), oh * ow * n_oc, p)
    else:
        run2("conv", case, kv.conv, kp.conv, (x, w, bias, mult, shift), oh * ow * n_oc, p)

# --- depthwise at the channel-wise paths' limits (256 channels; 257 or 260 take the
# general path; viper's word path needs c % 4 == 0), and with a depth multiplier
for case, (c, m) in enumerate(((256, 1), (257, 1), (40, 2), (4, 1), (12, 1), (260, 1))):
    kh = kw = 2
    ph = pw = 3
    oh = ow = 2
    x = rbytes(ph * pw * c)
    w = rbytes(kh * kw * c * m)
    bias = array('i', [rint(-50000, 50000) for _ in range(c * m)])
    mult = array('i', [rmult() for _ in range(c * m)])
    shift = array('i', [rshift(50000 + 16384 * 4) for _ in range(c * m)])
    p = array('i', [ph, pw, c, oh, ow, m, kh, kw, 1, 1, rint(-128, 127), -128, 127])
    run2("dwconv wide", case, kv.dwconv, kp.dwconv, (x, w, bias, mult, shift), oh * ow * c * m, p)

# --- depthwise where the Thumb set pairs taps (depth multiplier 1, >= 8 pixels, <= 16 taps,
# (taps // 2 + 1) * c <= 1024): even and odd tap counts, strides, the size limits (17 taps,
# c = 205 at 3x3 take the channel-wise path) and a (-128, -128) weight pair (saturated
# inputs; it sends the layer to the channel-wise path too)
def dw_pair_cases(tag):
    for case, (kh, kw, c, sh, sw, m128) in enumerate((
            (3, 3, 64, 1, 1, 0), (3, 3, 5, 2, 1, 0), (1, 2, 1, 1, 2, 0), (2, 2, 100, 1, 1, 0),
            (4, 4, 3, 1, 1, 0), (17, 1, 2, 1, 1, 0), (3, 3, 204, 1, 1, 0), (3, 3, 205, 1, 1, 0),
            (3, 3, 8, 1, 1, 1), (5, 3, 4, 2, 2, 0))):
        x = w = None
        gc.collect()  # the last case's buffers out of the way: m0 needs a 6 KB block here
        oh, ow = 4, 2
        ph, pw = (oh - 1) * sh + kh, (ow - 1) * sw + kw + 1
        x = rbytes(ph * pw * c)
        w = rbytes(kh * kw * c)
        bias = array('i', [rint(-50000, 50000) for _ in range(c)])
        mult = array('i', [rmult() for _ in range(c)])
        shift = array('i', [rshift(50000 + 16384 * kh * kw) for _ in range(c)])
        if m128:  # channel 3's first two taps -128, every input -128
            for i in range(len(x)):
                x[i] = 0x80
            w[3] = w[c + 3] = 0x80
        p = array('i', [ph, pw, c, oh, ow, 1, kh, kw, sh, sw, rint(-128, 127), -128, 127])
        run2("dwconv pairs" + tag, case, kv.dwconv, kp.dwconv, (x, w, bias, mult, shift), oh * ow * c, p)


dw_pair_cases("")

# --- conv around the fast paths' limits. Thumb: rows shorter than 32 bytes and windows
# of at most 512 bytes are copied into one contiguous window when (kh - 1) * channels >= 64;
# the others step row by row.
# Viper on 32-bit words: windows of at most 256 bytes take the pair form (output channels
# in blocks of 512 // pairs; a (-128, -128) weight pair sends the layer to the word or byte
# loop), longer ones the word loop if 4-aligned.
for case, (kh, kw, c, n_oc, m128) in enumerate((
        (2, 3, 12, 3, 0), (32, 4, 4, 3, 0), (33, 4, 4, 3, 0), (3, 31, 1, 32, 0), (1, 5, 2, 3, 0),
        (10, 4, 1, 8, 0), (3, 3, 1, 16, 0),
        (4, 4, 16, 9, 0), (4, 4, 16, 9, 1), (1, 1, 257, 2, 0), (1, 1, 260, 2, 0),
        (3, 3, 7, 5, 1))):
    ph, pw = kh + 1, kw + 2
    oh, ow = 2, 3
    x = rbytes(ph * pw * c)
    w = rbytes(kh * kw * c * n_oc)
    bias = array('i', [rint(-50000, 50000) for _ in range(n_oc)])
    mult = array('i', [rmult() for _ in range(n_oc)])
    shift = array('i', [rshift(50000 + 16384 * kh * kw * c) for _ in range(n_oc)])
    if m128:  # every x and the last channel's weights -128: each pair sums to +32768, which
        # a 16-bit lane would wrap to -32768; scaled so that acc = 16384 * n shows unclamped
        n = kh * kw * c
        for i in range(len(x)):
            x[i] = 0x80
        for i in range((n_oc - 1) * n, n_oc * n):
            w[i] = 0x80
        bias[n_oc - 1], mult[n_oc - 1] = 0, 1 << 30
        shift[n_oc - 1] = -1
        while (16384 * n) >> (-shift[n_oc - 1] + 1) > 100:
            shift[n_oc - 1] -= 1
    p = array('i', [ph, pw, c, oh, ow, n_oc, kh, kw, 1, 1, rint(-128, 127), -128, 127])
    run2("conv rows", case, kv.conv, kp.conv, (x, w, bias, mult, shift), oh * ow * n_oc, p)

# --- conv where the Thumb set takes the pair form (rows of an even run, windows <= 256
# bytes, >= 32 pixels, >= 8 output channels a block of them; Thumb: quads of channels,
# then a block's last 1 to 3 channels in pairs and singles), with strides; a (-128, -128)
# weight pair sends the layer to the byte loops
def conv_pair_cases(tag):
    for case, (kh, kw, c, n_oc, sh, sw, m128) in enumerate((
            (10, 4, 1, 32, 2, 2, 0), (1, 1, 64, 20, 1, 1, 0), (1, 1, 64, 67, 1, 2, 0),
            (1, 1, 64, 67, 1, 1, 1), (3, 3, 16, 9, 2, 1, 0), (1, 2, 8, 64, 2, 2, 0),
            (1, 2, 8, 63, 1, 1, 0), (1, 2, 8, 61, 1, 1, 0), (10, 4, 1, 58, 1, 1, 0))):
        oh, ow = 8, 4
        ph, pw = (oh - 1) * sh + kh, (ow - 1) * sw + kw + 1
        x = rbytes(ph * pw * c)
        w = rbytes(kh * kw * c * n_oc)
        if m128:  # output channel 5's second pair
            w[5 * kh * kw * c + 2] = w[5 * kh * kw * c + 3] = 0x80
        bias = array('i', [rint(-50000, 50000) for _ in range(n_oc)])
        mult = array('i', [rmult() for _ in range(n_oc)])
        shift = array('i', [rshift(50000 + 16384 * kh * kw * c) for _ in range(n_oc)])
        p = array('i', [ph, pw, c, oh, ow, n_oc, kh, kw, sh, sw, rint(-128, 127), -128, 127])
        run2("conv pairs" + tag, case, kv.conv, kp.conv, (x, w, bias, mult, shift), oh * ow * n_oc, p)


conv_pair_cases("")
# the Thumb set's scratch: 4 KB on a fresh heap, 2 KB where the heap had no 4 KB block
# (more blocks of output channels, fewer depthwise layers in pairs): both give the same bits
if ASM:
    result("thumb scratch bytes", len(kt._PW))
    check("thumb scratch is 4 KB on a fresh heap", len(kt._PW) == 4096, "%d bytes" % len(kt._PW))
    kt.scratch(bytearray(2048))
    conv_pair_cases(" 2KB")
    dw_pair_cases(" 2KB")
    kt.scratch(bytearray(4096))

# --- pad, pooling, mean, add -------------------------------------------------
for case in range(20):
    h, w, c = rint(1, 6), rint(1, 6), rint(1, 3) << (2 * (case & 1))  # odd cases: c % 4 == 0
    # (pad in place on words where c % 4 == 0)
    x = rbytes(h * w * c)
    top, left = rint(0, 2), rint(0, 2)
    ph, pw = h + top + rint(0, 2), w + left + rint(0, 2)
    p = array('i', [h, w, c, top, left, ph, pw, rint(-128, 127)])
    run2("pad", case, kvp.pad, kpp.pad, (x,), ph * pw * c, p)
    # in place: the padded copy over x (x at the buffer's start, other bytes after it), as
    # the arena plan lays out a padding layer whose input no later layer reads
    n = ph * pw * c
    ref = bytearray(n)
    kpp.pad(x, ref, p)
    for name, f in [("", kvp.pad_inplace)] + ALSO.get(kvp.pad_inplace, []):
        bv, bp = bytearray(n), bytearray(n)
        for i in range(n):
            bv[i] = bp[i] = (x[i] if i < len(x) else rnd() & 0xFF)
        compare((name + " pad in place").strip(), case, f, kpp.pad_inplace,
                (memoryview(bv)[:len(x)], bv, p), (memoryview(bp)[:len(x)], bp, p), bv, bp)
        if bp != ref and len(bad) < 5:
            bad.append("pad in place case %d: the twin differs from pad" % case)
    fh, fw, sh, sw = rint(1, 3), rint(1, 3), rint(1, 3), rint(1, 3)
    pt, pl = rint(0, fh - 1), rint(0, fw - 1)  # every window keeps >= 1 in-image cell
    oh, ow = (h + pt - 1) // sh + 1, (w + pl - 1) // sw + 1
    lo = rint(-128, 0)
    p = array('i', [h, w, c, oh, ow, fh, fw, sh, sw, pt, pl, lo, rint(lo, 127)])
    run2("avgpool", case, kvp.avgpool, kpp.avgpool, (x,), oh * ow * c, p)
    run2("maxpool", case, kvp.maxpool, kpp.maxpool, (x,), oh * ow * c, p)
    hw = h * w
    p = array('i', [hw, c, rint(-128, 127), rint(-128, 127), rint(0, (1 << 30) - 1) * 2 + 1, -rint(0, 31)])
    run2("mean", case, kvp.mean, kpp.mean, (x,), c, p)
    n = h * w * c
    x2 = rbytes(n)
    s1, s2 = -rint(0, 3), -rint(0, 3)
    p = array('i', [n, rint(-127, 128), rint(-127, 128), 20, rmult(), s1, rmult(), s2,
                    rmult(), -rint(14, 31), rint(-128, 127), lo, rint(lo, 127)])
    run2("add", case, kvp.add, kpp.add, (x, x2), n, p)

# --- avgpool's word path at its lane limit: 257 cells a window (255 * 257 < 2**16), and
# 272 (the byte loop), with saturated and random inputs
for case, (h, w, fill) in enumerate(((257, 1, 0x7F), (257, 1, 0x80), (257, 1, None),
                                     (17, 16, 0x7F), (17, 16, None))):
    c = 8
    x = rbytes(h * w * c)
    if fill is not None:  # in place: a list of the bytes first would take 8 KB on m0
        for i in range(len(x)):
            x[i] = fill
    p = array('i', [h, w, c, 1, 1, h, w, 1, 1, 0, 0, -128, 127])
    run2("avgpool wide", case, kvp.avgpool, kpp.avgpool, (x,), c, p)

result("cases", counts)
check("viper and thumb kernels do not allocate", not alloc, ", ".join(alloc))
check("viper (and thumb) == twin on every kernel", not bad, "; ".join(bad))
done()
