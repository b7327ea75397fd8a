# Inline-Thumb kernels (armv6m subset: the RP2040's Cortex-M0+; they run on armv7m too)
# for the layers that hold nearly all MACs: fc, conv and dwconv. conv and fc take two
# output channels at a time (one input load, two MACs); dwconv with depth multiplier 1 runs
# channel-wise (int32 accumulators in _ACC, every channel of a pixel in one pass).
# Same signatures, arguments and results as kernels_viper.fc/conv/dwconv (exact TFLM
# arithmetic); kernels.py picks them where the firmware has @micropython.asm_thumb (stock
# rp2 does, esp32 has no inline assembler).
# A viper wrapper writes the layer's pointers and shape into the context array _CTX; one
# assembler call then runs the whole layer. The int8 loads are LDRSB [Rn, Rm], which the
# assembler lacks: emitted with data() (0x5600 | Rm << 6 | Rn << 3 | Rt).
# Requantization in registers: |acc| * m as a 64-bit sum of four 16x16-bit products, plus
# the nudge (2**30, or 2**30 - 1 for acc < 0), >> 31; then TFLM's RoundingDivideByPOT on
# the magnitude (it is odd), the sign back. tests/device/check_kernels_viper_vs_twin.py compares every output
# with the plain twin on the same cases as the viper kernels.
import gc
import micropython
from micropython import const

from . import kernels_viper as _kv
from . import kernels_viper_pool as _kvp

# _CTX slots, byte offsets (LDR/STR immediates reach 124)
_BIAS = const(0)
_MULT = const(4)
_SHIFT = const(8)
_OH = const(12)
_OW = const(16)
_NOC4 = const(20)  # output channels * 4
_KH = const(24)
_RUN = const(28)  # bytes of a window row: kw * c (fc: n_in)
_ROW = const(32)  # bytes of a padded input row
_YSTEP = const(36)
_XSTEP = const(40)
_ZP = const(44)
_LO = const(48)
_HI = const(52)
_W = const(56)
_OUT = const(60)  # the next output byte
_OY = const(64)  # rows left
_OX = const(68)  # pixels left in the row
_PIX = const(72)  # the window's first input byte
_ROWX = const(76)  # the row's first window
_O4 = const(80)  # output channel * 4
_WI = const(84)  # the next weight byte
_KY = const(88)  # window rows left
_XR = const(92)  # the window row's first byte
# depthwise only (conv and fc leave _DM at 0)
_CM = const(96)  # channels * depth multiplier: the output channels
_KWCM = const(100)  # weight bytes of a window row
_XC = const(104)  # the input channel of output channel o
_J = const(108)  # output channels left on this input channel
_DM = const(112)  # depth multiplier; 0: conv or fc
_S8 = const(116)  # c on entry; then r8's value, restored at the end
_S9 = const(120)
_S11 = const(124)
# the channel-wise depthwise path (depth multiplier 1; _DM = -1) uses these
_ACCP = const(104)  # the accumulators' buffer (_ACC)
_KWF = const(100)  # kw
_XT = const(28)  # the tap's first input byte (instead of _RUN)
_ACC_N = const(256)  # channels it takes: the buffer holds one int32 per channel
# conv and fc's two-channel path borrows three depthwise slots
_S10 = const(96)  # r10's value
_WI2 = const(104)  # channel o + 1's next weight byte
_ACC1 = const(108)  # channel o + 1's accumulator between window rows
_XSRC = const(124)  # conv and fc: the window's first byte (packed pairs: the packed window)
# packed pairs (_DM = -2, _pairs) also borrow
_PRR = const(100)  # the real window: run bytes | row bytes << 16
_PKR = const(120)  # its rows | the output bytes to skip after a pixel's block << 16
_XPK = const(128)  # the packed window lives in _CTX from this byte on
_S9X = const(640)  # r9's value (past the packed window)
# depthwise in pairs of taps (_DM = -3) uses the channel-wise slots and these
_D10 = const(92)  # r10's value
_TAPP = const(100)  # _TAPS: pairs, odd, the odd tap's weights, its input offset, then the
# input offsets of each pair's taps a and b
_TAPN = const(16)  # taps it takes
# and the quads (four channels at a time) keep three accumulators in these while requantizing
_QA1 = const(88)
_QA2 = const(92)
_QA3 = const(108)

# A window whose rows are short (a first conv on one channel: 10x4x1) spends more on
# stepping rows than on MACs: its rows are copied into _COL, one contiguous window per
# pixel (OHWI weights are already in that order), and the layer runs as an FC per pixel.
_COL_RUN = const(32)  # rows shorter than this are copied
_COL_N = const(512)  # window bytes _COL holds
# conv in the pair form (_pairs): the packed weights of a block of output channels
_PXN = const(128)  # pairs a window may have (packed into _CTX's tail)
# One scratch buffer serves the layers in turn (never two at once): the channel-wise
# depthwise's int32 accumulators (_ACC), the copied window (_COL) and the packed weights
# (_PW). kernels.py makes it (4 KB where the heap has room to spare, else 2 KB: more blocks
# of output channels, the same bits) before any kernel code, so that its block is found, and
# hands it over with scratch().
_PW = _ACC = _COL = None
_PWN = 0  # packed pairs _PW holds


def scratch(buf):
    """Use buf (a bytearray of >= 2048 bytes) as the scratch buffer."""
    global _PW, _ACC, _COL, _PWN
    if not isinstance(buf, bytearray) or len(buf) < 2048:
        raise ValueError("kernels_thumb.scratch() takes a bytearray of >= 2048 bytes")
    _PW = _ACC = _COL = buf
    _PWN = len(buf) >> 2


_CTX = bytearray(128 + 4 * 128 + 4)  # int32 slots, the packed window (_pairs), r9's value


@micropython.asm_thumb
def _layer(r0, r1, r2, r3):
    # r0 = x (padded input), r1 = w, r2 = out, r3 = _CTX (shape filled in)
    str(r1, [r3, _W])
    str(r2, [r3, _OUT])
    mov(r4, 1)
    lsl(r4, r4, 30)
    data(2, 0x46A4)  # mov r12, r4: 2**30, the requantization's nudge (r12 is scratch)
    str(r0, [r3, _ROWX])
    ldr(r0, [r3, _OH])
    str(r0, [r3, _OY])
    ldr(r0, [r3, _DM])
    cmp(r0, 0)
    bgt(DWSET)
    add(r0, 2)
    beq(PRSET)
    add(r0, 1)
    bne(ROW)
    # depthwise in pairs of taps: r8 = 0x8000 (saved in _S8), r10 saved in _D10
    data(2, 0x4645)  # mov r5, r8
    str(r5, [r3, _S8])
    mov(r5, 1)
    lsl(r5, r5, 15)
    data(2, 0x46A8)  # mov r8, r5
    data(2, 0x4655)  # mov r5, r10
    str(r5, [r3, _D10])
    b(ROW)
    label(PRSET)
    # packed pairs: r8 = 0x8000, the rounding of (X * W + 0x8000) >> 16; r9 = the packed
    # window's end (r8 saved in _S8, r9 in _CTX's last word)
    data(2, 0x4645)  # mov r5, r8
    str(r5, [r3, _S8])
    mov(r5, 1)
    lsl(r5, r5, 15)
    data(2, 0x46A8)  # mov r8, r5
    bl(S9AT)
    data(2, 0x464E)  # mov r6, r9
    str(r6, [r5, 0])
    ldr(r6, [r3, _RUN])
    add(r6, r6, r3)
    add(r6, _XPK)
    data(2, 0x46B1)  # mov r9, r6
    b(ROW)
    label(S9AT)  # r5 = where r9 waits: _CTX + _S9X
    mov(r5, r3)
    add(r5, 255)
    add(r5, 255)
    add(r5, _S9X - 510)
    bx(lr)
    label(DWSET)
    # depthwise: r8 = c, r9 = c * dm, r11 = kw * c (high registers, saved in _CTX)
    ldr(r4, [r3, _S8])
    data(2, 0x4645)  # mov r5, r8
    str(r5, [r3, _S8])
    data(2, 0x464D)  # mov r5, r9
    str(r5, [r3, _S9])
    data(2, 0x465D)  # mov r5, r11
    str(r5, [r3, _S11])
    data(2, 0x46A0)  # mov r8, r4
    ldr(r4, [r3, _CM])
    data(2, 0x46A1)  # mov r9, r4
    ldr(r4, [r3, _RUN])
    data(2, 0x46A3)  # mov r11, r4
    label(ROW)
    ldr(r0, [r3, _ROWX])
    str(r0, [r3, _PIX])
    ldr(r0, [r3, _OW])
    str(r0, [r3, _OX])
    label(PIXEL)
    mov(r0, 0)
    str(r0, [r3, _O4])
    ldr(r0, [r3, _DM])  # the layer's kind: 0 conv or fc, > 0 depthwise, -1 channel-wise,
    cmp(r0, 0)  # -2 packed pairs
    beq(CPIX)
    bgt(DPIXGO)
    add(r0, 1)
    beq(FPIXGO)
    add(r0, 1)
    beq(KPIX)
    b(PPIX)
    label(FPIXGO)
    b(FPIX)
    label(DPIXGO)
    b(DPIX)
    # -- packed pairs: the window (rows of an even run of bytes) into X = x0 + 65536 * x1 at
    # _CTX + _XPK, then conv's channel loops on it with word loads --
    label(KPIX)
    ldr(r1, [r3, _PIX])
    mov(r0, r3)
    add(r0, _XPK)
    ldr(r2, [r3, _PKR])
    lsl(r2, r2, 16)
    lsr(r2, r2, 16)  # rows
    ldr(r7, [r3, _PRR])
    lsl(r7, r7, 16)
    lsr(r7, r7, 16)  # run
    label(KROWP)
    add(r1, r1, r7)
    neg(r4, r7)
    label(KPK)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x0
    add(r4, 1)
    data(2, 0x570E)  # ldrsb r6, [r1, r4]: x1
    lsl(r6, r6, 16)
    add(r5, r5, r6)
    str(r5, [r0, 0])
    add(r0, 4)
    add(r4, 1)
    bne(KPK)
    sub(r1, r1, r7)
    ldr(r6, [r3, _PRR])
    lsr(r6, r6, 16)
    add(r1, r1, r6)  # the next row
    sub(r2, 1)
    bne(KROWP)
    mov(r0, r3)
    add(r0, _XPK)
    str(r0, [r3, _XSRC])
    ldr(r0, [r3, _W])
    str(r0, [r3, _WI])
    # four output channels at a time while four are left (pack_q interleaved their pairs:
    # one X load, four products); the last one to three take conv's channel loop
    label(QCHAN)
    ldr(r7, [r3, _O4])
    ldr(r5, [r3, _NOC4])
    sub(r5, r5, r7)
    cmp(r5, 16)
    blt(QTAIL)
    b(QUADS)
    label(QTAIL)
    b(CHANNEL)
    label(CPIX)
    ldr(r0, [r3, _PIX])
    label(CPIXW)
    str(r0, [r3, _XSRC])
    ldr(r0, [r3, _W])
    str(r0, [r3, _WI])
    label(CHANNEL)
    ldr(r7, [r3, _O4])
    ldr(r5, [r3, _NOC4])
    sub(r5, r5, r7)
    cmp(r5, 8)
    blt(CSINGLE)
    b(PAIR)  # two channels or more left: two at a time, sharing the input loads
    label(CSINGLE)
    ldr(r0, [r3, _BIAS])
    add(r0, r0, r7)
    ldr(r0, [r0, 0])  # acc = bias[o]
    ldr(r1, [r3, _XSRC])
    str(r1, [r3, _XR])
    ldr(r1, [r3, _KH])
    str(r1, [r3, _KY])
    label(KROW)
    ldr(r4, [r3, _RUN])
    cmp(r4, 0)
    beq(KNEXT)
    ldr(r1, [r3, _XR])
    add(r1, r1, r4)  # x row end
    ldr(r2, [r3, _WI])
    add(r2, r2, r4)  # weights end
    neg(r4, r4)  # index -run .. -1
    ldr(r5, [r3, _DM])
    add(r5, 2)
    bne(SINGLE)
    label(SPACK)  # packed pairs: acc += (X * W + 0x8000) >> 16, a word of each a step
    data(2, 0x590D)  # ldr r5, [r1, r4]: X
    data(2, 0x5916)  # ldr r6, [r2, r4]: W
    mul(r6, r5)
    data(2, 0x4446)  # add r6, r8
    asr(r6, r6, 16)
    add(r0, r0, r6)
    add(r4, 4)
    bne(SPACK)
    b(KNEXT)
    label(SINGLE)  # until the count left is a multiple of 4
    lsl(r5, r4, 30)
    beq(QUAD)
    data(2, 0x5600 | (4 << 6) | (1 << 3) | 5)  # ldrsb r5, [r1, r4]
    data(2, 0x5600 | (4 << 6) | (2 << 3) | 6)  # ldrsb r6, [r2, r4]
    mul(r5, r6)
    add(r0, r0, r5)
    add(r4, 1)
    b(SINGLE)
    label(QUAD)
    cmp(r4, 0)
    beq(KNEXT)
    label(QLOOP)
    data(2, 0x5600 | (4 << 6) | (1 << 3) | 5)
    data(2, 0x5600 | (4 << 6) | (2 << 3) | 6)
    mul(r5, r6)
    add(r0, r0, r5)
    add(r4, 1)
    data(2, 0x5600 | (4 << 6) | (1 << 3) | 5)
    data(2, 0x5600 | (4 << 6) | (2 << 3) | 6)
    mul(r5, r6)
    add(r0, r0, r5)
    add(r4, 1)
    data(2, 0x5600 | (4 << 6) | (1 << 3) | 5)
    data(2, 0x5600 | (4 << 6) | (2 << 3) | 6)
    mul(r5, r6)
    add(r0, r0, r5)
    add(r4, 1)
    data(2, 0x5600 | (4 << 6) | (1 << 3) | 5)
    data(2, 0x5600 | (4 << 6) | (2 << 3) | 6)
    mul(r5, r6)
    add(r0, r0, r5)
    add(r4, 1)
    bne(QLOOP)
    label(KNEXT)
    ldr(r4, [r3, _RUN])
    ldr(r1, [r3, _WI])
    add(r1, r1, r4)
    str(r1, [r3, _WI])
    ldr(r1, [r3, _XR])
    ldr(r4, [r3, _ROW])
    add(r1, r1, r4)
    str(r1, [r3, _XR])
    ldr(r1, [r3, _KY])
    sub(r1, 1)
    str(r1, [r3, _KY])
    beq(REQ)
    b(KROW)
    label(REQ)
    bl(REQUANT)  # r0 = acc, r7 = 4 * o: the output byte
    # -- next channel, pixel, row --
    label(CNEXT)
    ldr(r7, [r3, _O4])
    add(r7, 4)
    str(r7, [r3, _O4])
    ldr(r5, [r3, _NOC4])
    cmp(r7, r5)
    bge(PNEXT)
    b(CHANNEL)
    label(PNEXT)
    ldr(r0, [r3, _DM])
    add(r0, 2)
    bne(PNX)
    ldr(r0, [r3, _PKR])  # packed pairs: skip the outputs of the other blocks
    lsr(r0, r0, 16)
    ldr(r1, [r3, _OUT])
    add(r1, r1, r0)
    str(r1, [r3, _OUT])
    label(PNX)
    ldr(r0, [r3, _PIX])
    ldr(r1, [r3, _XSTEP])
    add(r0, r0, r1)
    str(r0, [r3, _PIX])
    ldr(r0, [r3, _OX])
    sub(r0, 1)
    str(r0, [r3, _OX])
    beq(RNEXT)
    b(PIXEL)
    label(RNEXT)
    ldr(r0, [r3, _ROWX])
    ldr(r1, [r3, _YSTEP])
    add(r0, r0, r1)
    str(r0, [r3, _ROWX])
    ldr(r0, [r3, _OY])
    sub(r0, 1)
    str(r0, [r3, _OY])
    beq(LEND)
    b(ROW)
    label(LEND)
    ldr(r0, [r3, _DM])
    cmp(r0, 0)
    bgt(RESTORE)
    add(r0, 2)
    beq(L2DONE)
    add(r0, 1)
    bne(LDONE)
    ldr(r5, [r3, _S8])  # depthwise pairs: r8 and r10 as they were
    data(2, 0x46A8)  # mov r8, r5
    ldr(r5, [r3, _D10])
    data(2, 0x46AA)  # mov r10, r5
    b(LDONE)
    label(L2DONE)
    ldr(r5, [r3, _S8])  # packed pairs: r8 and r9 as they were
    data(2, 0x46A8)  # mov r8, r5
    bl(S9AT)
    ldr(r5, [r5, 0])
    data(2, 0x46A9)  # mov r9, r5
    label(LDONE)
    b(END)
    label(RESTORE)  # depthwise: r8, r9 and r11 as they were
    ldr(r5, [r3, _S8])
    data(2, 0x46A8)  # mov r8, r5
    ldr(r5, [r3, _S9])
    data(2, 0x46A9)  # mov r9, r5
    ldr(r5, [r3, _S11])
    data(2, 0x46AB)  # mov r11, r5
    b(END)
    # -- two output channels o, o + 1 (r7 = 4 * o): acc in r0 and r7, their weights end at
    # r2 and r3 (ctx waits in r10, saved in _S10); _ACC1 keeps acc1 between window rows --
    label(PAIR)
    ldr(r0, [r3, _BIAS])
    add(r0, r0, r7)
    ldr(r1, [r0, 4])
    str(r1, [r3, _ACC1])
    ldr(r0, [r0, 0])
    ldr(r1, [r3, _XSRC])
    str(r1, [r3, _XR])
    ldr(r1, [r3, _KH])
    str(r1, [r3, _KY])
    ldr(r2, [r3, _RUN])
    mul(r2, r1)  # kh * run: one channel's weights
    ldr(r1, [r3, _WI])
    add(r1, r1, r2)
    str(r1, [r3, _WI2])
    data(2, 0x4655)  # mov r5, r10
    str(r5, [r3, _S10])
    label(PKROW)
    ldr(r4, [r3, _RUN])
    cmp(r4, 0)
    beq(PKNEXT)
    ldr(r1, [r3, _XR])
    add(r1, r1, r4)
    ldr(r2, [r3, _WI])
    add(r2, r2, r4)
    ldr(r7, [r3, _ACC1])
    ldr(r5, [r3, _WI2])
    add(r5, r5, r4)
    neg(r4, r4)
    ldr(r6, [r3, _DM])
    data(2, 0x469A)  # mov r10, r3
    mov(r3, r5)
    add(r6, 2)
    bne(PSINGLE)
    label(PPACK)  # packed pairs, two channels: one X load, two products; 2 words a step
    data(2, 0x590D)  # ldr r5, [r1, r4]: X
    data(2, 0x5916)  # ldr r6, [r2, r4]: W of channel o
    mul(r6, r5)
    data(2, 0x4446)  # add r6, r8
    asr(r6, r6, 16)
    add(r0, r0, r6)
    data(2, 0x591E)  # ldr r6, [r3, r4]: W of channel o + 1
    mul(r6, r5)
    data(2, 0x4446)  # add r6, r8
    asr(r6, r6, 16)
    add(r7, r7, r6)
    add(r4, 4)
    data(2, 0x590D)  # ldr r5, [r1, r4]: X
    data(2, 0x5916)  # ldr r6, [r2, r4]: W of channel o
    mul(r6, r5)
    data(2, 0x4446)  # add r6, r8
    asr(r6, r6, 16)
    add(r0, r0, r6)
    data(2, 0x591E)  # ldr r6, [r3, r4]: W of channel o + 1
    mul(r6, r5)
    data(2, 0x4446)  # add r6, r8
    asr(r6, r6, 16)
    add(r7, r7, r6)
    add(r4, 4)
    bne(PPACK)
    b(PROWEND)
    label(PSINGLE)
    lsl(r5, r4, 30)
    beq(PQUAD)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x
    data(2, 0x5716)  # ldrsb r6, [r2, r4]: w of channel o
    mul(r6, r5)
    add(r0, r0, r6)
    data(2, 0x571E)  # ldrsb r6, [r3, r4]: w of channel o + 1
    mul(r6, r5)
    add(r7, r7, r6)
    add(r4, 1)
    b(PSINGLE)
    label(PQUAD)
    cmp(r4, 0)
    beq(PROWEND)
    label(PQLOOP)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x
    data(2, 0x5716)  # ldrsb r6, [r2, r4]: w of channel o
    mul(r6, r5)
    add(r0, r0, r6)
    data(2, 0x571E)  # ldrsb r6, [r3, r4]: w of channel o + 1
    mul(r6, r5)
    add(r7, r7, r6)
    add(r4, 1)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x
    data(2, 0x5716)  # ldrsb r6, [r2, r4]: w of channel o
    mul(r6, r5)
    add(r0, r0, r6)
    data(2, 0x571E)  # ldrsb r6, [r3, r4]: w of channel o + 1
    mul(r6, r5)
    add(r7, r7, r6)
    add(r4, 1)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x
    data(2, 0x5716)  # ldrsb r6, [r2, r4]: w of channel o
    mul(r6, r5)
    add(r0, r0, r6)
    data(2, 0x571E)  # ldrsb r6, [r3, r4]: w of channel o + 1
    mul(r6, r5)
    add(r7, r7, r6)
    add(r4, 1)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x
    data(2, 0x5716)  # ldrsb r6, [r2, r4]: w of channel o
    mul(r6, r5)
    add(r0, r0, r6)
    data(2, 0x571E)  # ldrsb r6, [r3, r4]: w of channel o + 1
    mul(r6, r5)
    add(r7, r7, r6)
    add(r4, 1)
    bne(PQLOOP)
    label(PROWEND)
    data(2, 0x4653)  # mov r3, r10
    str(r7, [r3, _ACC1])
    label(PKNEXT)
    ldr(r4, [r3, _RUN])
    ldr(r1, [r3, _WI])
    add(r1, r1, r4)
    str(r1, [r3, _WI])
    ldr(r1, [r3, _WI2])
    add(r1, r1, r4)
    str(r1, [r3, _WI2])
    ldr(r1, [r3, _XR])
    ldr(r5, [r3, _ROW])
    add(r1, r1, r5)
    str(r1, [r3, _XR])
    ldr(r1, [r3, _KY])
    sub(r1, 1)
    str(r1, [r3, _KY])
    beq(PREQ)
    b(PKROW)
    label(PREQ)
    ldr(r7, [r3, _O4])
    bl(REQUANT)
    ldr(r0, [r3, _ACC1])
    ldr(r7, [r3, _O4])
    add(r7, 4)
    str(r7, [r3, _O4])
    bl(REQUANT)
    ldr(r1, [r3, _WI2])
    str(r1, [r3, _WI])  # channel o + 2's weights follow o + 1's
    ldr(r5, [r3, _S10])
    data(2, 0x46AA)  # mov r10, r5
    b(CNEXT)
    # -- a depthwise pixel, output channel by output channel (r8 = c, r9 = c * dm,
    # r11 = kw * c) --
    label(DPIX)
    mov(r0, 0)
    str(r0, [r3, _XC])
    ldr(r0, [r3, _DM])
    str(r0, [r3, _J])
    label(DCH)
    ldr(r7, [r3, _O4])
    ldr(r0, [r3, _BIAS])
    add(r0, r0, r7)
    ldr(r0, [r0, 0])  # acc = bias[o]
    ldr(r1, [r3, _PIX])
    ldr(r4, [r3, _XC])
    add(r1, r1, r4)
    str(r1, [r3, _XR])
    lsr(r2, r7, 2)
    ldr(r4, [r3, _W])
    add(r2, r2, r4)
    str(r2, [r3, _WI])
    ldr(r1, [r3, _KH])
    str(r1, [r3, _KY])
    label(DKROW)
    ldr(r1, [r3, _XR])
    ldr(r2, [r3, _WI])
    mov(r4, 0)
    mov(r6, 0)
    label(DMAC)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]
    data(2, 0x5797)  # ldrsb r7, [r2, r6]
    mul(r5, r7)
    add(r0, r0, r5)
    data(2, 0x4444)  # add r4, r8: the next input pixel
    data(2, 0x444E)  # add r6, r9: its weight
    data(2, 0x455C)  # cmp r4, r11
    bne(DMAC)
    ldr(r4, [r3, _ROW])
    add(r1, r1, r4)
    str(r1, [r3, _XR])
    ldr(r4, [r3, _KWCM])
    add(r2, r2, r4)
    str(r2, [r3, _WI])
    ldr(r1, [r3, _KY])
    sub(r1, 1)
    str(r1, [r3, _KY])
    beq(DREQ)
    b(DKROW)
    label(DREQ)
    ldr(r7, [r3, _O4])
    bl(REQUANT)
    ldr(r0, [r3, _J])
    sub(r0, 1)
    str(r0, [r3, _J])
    bne(DSAME)
    ldr(r0, [r3, _DM])
    str(r0, [r3, _J])
    ldr(r0, [r3, _XC])
    add(r0, 1)
    str(r0, [r3, _XC])
    label(DSAME)
    ldr(r7, [r3, _O4])
    add(r7, 4)
    str(r7, [r3, _O4])
    ldr(r5, [r3, _NOC4])
    cmp(r7, r5)
    blt(DCH)
    b(PNEXT)
    # -- a depthwise pixel with depth multiplier 1, channel-wise: acc[o] (in _ACC's buffer)
    # += x * w over the taps, every channel in one pass; then requantize them all --
    label(FPIX)
    bl(ACCBIAS)
    ldr(r1, [r3, _PIX])
    str(r1, [r3, _XR])
    ldr(r1, [r3, _W])
    str(r1, [r3, _WI])
    ldr(r1, [r3, _KH])
    str(r1, [r3, _KY])
    label(FKROW)
    ldr(r1, [r3, _KWF])
    str(r1, [r3, _J])
    ldr(r1, [r3, _XR])
    str(r1, [r3, _XT])
    label(FTAP)
    ldr(r4, [r3, _CM])
    ldr(r1, [r3, _XT])
    add(r1, r1, r4)  # x end
    ldr(r2, [r3, _WI])
    add(r2, r2, r4)  # w end
    ldr(r0, [r3, _ACCP])
    lsl(r7, r4, 2)
    add(r0, r0, r7)  # acc end
    neg(r4, r4)
    lsl(r7, r4, 2)
    label(FMAC)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]
    data(2, 0x5716)  # ldrsb r6, [r2, r4]
    mul(r5, r6)
    data(2, 0x59C6)  # ldr r6, [r0, r7]
    add(r6, r6, r5)
    data(2, 0x51C6)  # str r6, [r0, r7]
    add(r7, 4)
    add(r4, 1)
    bne(FMAC)
    ldr(r4, [r3, _CM])
    ldr(r1, [r3, _XT])
    add(r1, r1, r4)
    str(r1, [r3, _XT])
    ldr(r1, [r3, _WI])
    add(r1, r1, r4)
    str(r1, [r3, _WI])
    ldr(r1, [r3, _J])
    sub(r1, 1)
    str(r1, [r3, _J])
    bne(FTAP)
    ldr(r1, [r3, _XR])
    ldr(r4, [r3, _ROW])
    add(r1, r1, r4)
    str(r1, [r3, _XR])
    ldr(r1, [r3, _KY])
    sub(r1, 1)
    str(r1, [r3, _KY])
    bne(FKROW)
    label(FREQGO)
    mov(r7, 0)
    str(r7, [r3, _O4])
    label(FREQ)
    ldr(r0, [r3, _ACCP])
    data(2, 0x59C0)  # ldr r0, [r0, r7]
    bl(REQUANT)
    ldr(r7, [r3, _O4])
    add(r7, 4)
    str(r7, [r3, _O4])
    ldr(r5, [r3, _NOC4])
    cmp(r7, r5)
    blt(FREQ)
    b(PNEXT)
    # -- requantize r0: MultiplyByQuantizedMultiplier(acc, mult[o], shift[o]) --
    label(REQUANT)
    ldr(r1, [r3, _MULT])
    data(2, 0x59C9)  # ldr r1, [r1, r7]: m, 0 <= m < 2**31
    ldr(r2, [r3, _SHIFT])
    data(2, 0x59D2)  # ldr r2, [r2, r7]: s
    cmp(r2, 0)
    bgt(SHL)
    label(SHLED)
    asr(r7, r0, 31)  # -1 if acc < 0
    eor(r0, r7)
    sub(r0, r0, r7)  # |acc| as unsigned (2**31 for -2**31)
    lsr(r4, r0, 16)  # ah
    data(2, 0xB280)  # uxth r0, r0: al
    lsr(r5, r1, 16)  # mh
    data(2, 0xB28E)  # uxth r6, r1: ml
    mov(r1, r0)
    mul(r1, r6)  # ll
    mul(r0, r5)  # al * mh
    mul(r6, r4)  # ah * ml
    mul(r4, r5)  # hh
    add(r0, r0, r6)  # mid < 2**32
    lsl(r5, r0, 16)
    lsr(r0, r0, 16)
    add(r1, r1, r5)  # lo, carry out
    adc(r4, r0)  # hi: P = |acc| * m is r4:r1
    data(2, 0x4665)  # mov r5, r12: 2**30
    add(r5, r5, r7)  # the nudge: 2**30, or 2**30 - 1 for acc < 0
    mvn(r2, r2)  # rs - 1, rs = -s the right shift
    cmp(r2, 0)
    ble(RQTWO)
    # both roundings in one: ((P + nudge) >> 31 + 2**(rs - 1)) >> rs
    # == (P + nudge + 2**(30 + rs)) >> (31 + rs) (nested floors), and as rs >= 2 the
    # added power is 2**32 * 2**(rs - 2): hi + carry(lo + nudge) + 2**(rs - 2), >> (rs - 1)
    mov(r6, 1)
    lsl(r6, r2)
    lsr(r6, r6, 1)  # 2**(rs - 2)
    add(r1, r1, r5)  # the nudge's carry
    adc(r4, r6)
    lsr(r4, r2)  # |v|
    label(SIGN)
    eor(r4, r7)
    sub(r4, r4, r7)  # the sign back
    ldr(r5, [r3, _ZP])
    add(r4, r4, r5)
    ldr(r5, [r3, _LO])
    cmp(r4, r5)
    bge(NOTLO)
    mov(r4, r5)
    label(NOTLO)
    ldr(r5, [r3, _HI])
    cmp(r4, r5)
    ble(NOTHI)
    mov(r4, r5)
    label(NOTHI)
    ldr(r5, [r3, _OUT])
    strb(r4, [r5, 0])
    add(r5, 1)
    str(r5, [r3, _OUT])
    bx(lr)
    label(ACCBIAS)  # acc[o] = bias[o] for every channel: four words a step (ldmia / stmia)
    ldr(r0, [r3, _ACCP])
    ldr(r1, [r3, _BIAS])
    ldr(r2, [r3, _NOC4])
    label(AB4)
    sub(r2, 16)
    blt(AB1)
    data(2, 0xC9F0)  # ldmia r1!, {r4-r7}
    data(2, 0xC0F0)  # stmia r0!, {r4-r7}
    b(AB4)
    label(AB1)
    add(r2, 16)
    beq(ABEND)
    label(AB1L)
    ldr(r4, [r1, 0])
    str(r4, [r0, 0])
    add(r1, 4)
    add(r0, 4)
    sub(r2, 4)
    bne(AB1L)
    label(ABEND)
    bx(lr)
    label(QNEXT)  # the quad's next channel: o += 1, then REQUANT returns to our caller
    ldr(r7, [r3, _O4])
    add(r7, 4)
    str(r7, [r3, _O4])
    b(REQUANT)
    label(SHL)  # s > 0: acc << s (the host keeps it inside int32), then no right shift
    lsl(r0, r2)
    mov(r2, 0)
    b(SHLED)
    # rs is 0 or 1: |v| = (P + nudge) >> 31, then RoundingDivideByPOT(v, rs), which rounds
    # half away from zero, so it is odd in v: (|v| + 2**(rs - 1)) >> rs on the magnitude
    label(RQTWO)
    mov(r6, 0)
    add(r1, r1, r5)
    adc(r4, r6)
    lsr(r1, r1, 31)
    lsl(r4, r4, 1)
    orr(r4, r1)  # |v| < 2**31
    add(r2, 1)  # rs
    beq(SIGN)
    add(r4, 1)
    lsr(r4, r4, 1)
    b(SIGN)
    label(QUADS)
    ldr(r4, [r3, _BIAS])
    add(r4, r4, r7)
    ldr(r5, [r3, _WI])
    ldr(r6, [r3, _XSRC])
    data(2, 0x4657)  # mov r7, r10: not ours, it waits in _S10
    str(r7, [r3, _S10])
    data(2, 0x469A)  # mov r10, r3
    ldr(r0, [r4, 0])
    ldr(r1, [r4, 4])
    ldr(r2, [r4, 8])
    ldr(r3, [r4, 12])
    mov(r4, r6)
    label(QMAC)  # acc[j] += (X * W[j] + 0x8000) >> 16 for j = 0..3; four X words a step
    ldr(r6, [r4, 0])
    ldr(r7, [r5, 0])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r0, r0, r7)
    ldr(r7, [r5, 4])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r1, r1, r7)
    ldr(r7, [r5, 8])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r2, r2, r7)
    ldr(r7, [r5, 12])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r3, r3, r7)
    ldr(r6, [r4, 4])
    ldr(r7, [r5, 16])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r0, r0, r7)
    ldr(r7, [r5, 20])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r1, r1, r7)
    ldr(r7, [r5, 24])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r2, r2, r7)
    ldr(r7, [r5, 28])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r3, r3, r7)
    ldr(r6, [r4, 8])
    ldr(r7, [r5, 32])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r0, r0, r7)
    ldr(r7, [r5, 36])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r1, r1, r7)
    ldr(r7, [r5, 40])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r2, r2, r7)
    ldr(r7, [r5, 44])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r3, r3, r7)
    ldr(r6, [r4, 12])
    ldr(r7, [r5, 48])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r0, r0, r7)
    ldr(r7, [r5, 52])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r1, r1, r7)
    ldr(r7, [r5, 56])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r2, r2, r7)
    ldr(r7, [r5, 60])
    mul(r7, r6)
    data(2, 0x4447)  # add r7, r8
    asr(r7, r7, 16)
    add(r3, r3, r7)
    add(r4, 16)
    add(r5, 64)
    data(2, 0x454C)  # cmp r4, r9: the window's end (n2p is a multiple of 4)
    bne(QMAC)
    mov(r6, r3)
    data(2, 0x4653)  # mov r3, r10
    str(r5, [r3, _WI])
    str(r1, [r3, _QA1])
    str(r2, [r3, _QA2])
    str(r6, [r3, _QA3])
    ldr(r7, [r3, _O4])
    bl(REQUANT)
    ldr(r0, [r3, _QA1])
    bl(QNEXT)
    ldr(r0, [r3, _QA2])
    bl(QNEXT)
    ldr(r0, [r3, _QA3])
    bl(QNEXT)
    ldr(r5, [r3, _S10])
    data(2, 0x46AA)  # mov r10, r5
    ldr(r7, [r3, _O4])
    add(r7, 4)
    str(r7, [r3, _O4])
    ldr(r5, [r3, _NOC4])
    cmp(r7, r5)
    bge(QDONE)
    b(QCHAN)
    label(QDONE)
    b(PNEXT)
    # -- a depthwise pixel (depth multiplier 1) in pairs of taps: acc[o] (in _PW past the
    # packed weights) += (X * W + 0x8000) >> 16, X = x_a + 65536 * x_b of taps a, b and
    # W their weights packed by _packdw; every channel in one pass a pair; the odd last tap
    # alone; then requantize them all --
    label(PPIX)
    bl(ACCBIAS)
    ldr(r0, [r3, _TAPP])
    ldr(r1, [r0, 0])
    str(r1, [r3, _J])  # pairs left
    add(r0, 16)
    str(r0, [r3, _XT])  # the next pair's input offsets
    ldr(r0, [r3, _W])
    str(r0, [r3, _WI])
    label(PPASS)
    ldr(r4, [r3, _CM])
    ldr(r5, [r3, _XT])
    ldr(r1, [r5, 0])
    ldr(r6, [r5, 4])
    add(r5, 8)
    str(r5, [r3, _XT])
    ldr(r5, [r3, _PIX])
    add(r5, r5, r4)
    add(r1, r1, r5)  # tap a's inputs end
    add(r6, r6, r5)  # tap b's
    lsl(r7, r4, 2)
    ldr(r2, [r3, _WI])
    add(r2, r2, r7)  # the pair's weight words end
    str(r2, [r3, _WI])
    ldr(r0, [r3, _ACCP])
    add(r0, r0, r7)  # acc end
    neg(r7, r7)
    neg(r4, r4)
    data(2, 0x469A)  # mov r10, r3
    mov(r3, r6)
    label(PMAC)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]: x_a
    data(2, 0x571E)  # ldrsb r6, [r3, r4]: x_b
    lsl(r6, r6, 16)
    add(r5, r5, r6)
    data(2, 0x59D6)  # ldr r6, [r2, r7]: W
    mul(r6, r5)
    data(2, 0x4446)  # add r6, r8
    asr(r6, r6, 16)
    data(2, 0x59C5)  # ldr r5, [r0, r7]
    add(r5, r5, r6)
    data(2, 0x51C5)  # str r5, [r0, r7]
    add(r7, 4)
    add(r4, 1)
    bne(PMAC)
    data(2, 0x4653)  # mov r3, r10
    ldr(r0, [r3, _J])
    sub(r0, 1)
    str(r0, [r3, _J])
    bne(PPASS)
    ldr(r5, [r3, _TAPP])
    ldr(r0, [r5, 4])
    cmp(r0, 0)
    beq(PQDONE)
    ldr(r4, [r3, _CM])  # the odd tap: acc[o] += x * w
    ldr(r1, [r5, 12])
    ldr(r2, [r5, 8])
    ldr(r6, [r3, _PIX])
    add(r1, r1, r6)
    add(r1, r1, r4)
    add(r2, r2, r4)
    lsl(r7, r4, 2)
    ldr(r0, [r3, _ACCP])
    add(r0, r0, r7)
    neg(r7, r7)
    neg(r4, r4)
    label(PSMAC)
    data(2, 0x570D)  # ldrsb r5, [r1, r4]
    data(2, 0x5716)  # ldrsb r6, [r2, r4]
    mul(r5, r6)
    data(2, 0x59C6)  # ldr r6, [r0, r7]
    add(r6, r6, r5)
    data(2, 0x51C6)  # str r6, [r0, r7]
    add(r7, 4)
    add(r4, 1)
    bne(PSMAC)
    label(PQDONE)
    b(FREQGO)
    label(END)


@micropython.viper
def _shape(c, bias: ptr32, mult: ptr32, shift: ptr32, oh: int, ow: int, noc: int, kh: int,
           run: int, row: int, ystep: int, xstep: int, q: ptr32) -> int:
    """Fill _CTX; 0 (run nothing) for an empty layer. q: p's out_zp, act_min, act_max."""
    t = ptr32(c)
    t[0] = int(bias)
    t[1] = int(mult)
    t[2] = int(shift)
    t[3] = oh
    t[4] = ow
    t[5] = noc * 4
    t[6] = kh
    t[7] = run
    t[8] = row
    t[9] = ystep
    t[10] = xstep
    t[11] = q[0]
    t[12] = q[1]
    t[13] = q[2]
    t[28] = 0  # _DM: not depthwise
    if oh <= 0 or ow <= 0 or noc <= 0 or kh <= 0:
        return 0
    return 1


@micropython.viper
def fc(x, w, bias: ptr32, mult: ptr32, shift: ptr32, out, p: ptr32):
    # p = [n_in, n_out, out_zp, act_min, act_max]; bias has in_zp folded in
    if _shape(_CTX, bias, mult, shift, 1, 1, p[1], 1, p[0], 0, 0, 0, int(p) + 8):
        _layer(x, w, out, _CTX)


@micropython.viper
def conv(x, w, bias: ptr32, mult: ptr32, shift: ptr32, out, p: ptr32):
    # p = [ph, pw, c, oh, ow, oc, kh, kw, sh, sw, out_zp, act_min, act_max]; x padded, w OHWI
    c = p[2]
    row = p[1] * c
    run = p[7] * c
    kh = p[6]
    n = kh * run
    # the pair form pays where packing is amortised: weights packed once per layer (~6 m0
    # instructions a weight) and each window once per block of channels, against one
    # instruction a MAC saved (DS-CNN: 125 pixels, 64 channels; digits' 16-pixel conv loses)
    if (run & 1) == 0 and n <= 2 * _PXN and p[3] * p[4] >= 32:
        bsz = int(_bsz(((n >> 1) + 3) & ~3))  # output channels a block
        if p[5] >= 8 * ((p[5] + bsz - 1) // bsz) and int(_pairs(x, w, bias, mult, shift, out, p)):
            return
    # copying windows is worth it when the rows saved (kh - 1 per channel pair a pixel)
    # outweigh a copy and a call per pixel: 10x4x1 with 64 channels gains, 3x3x1 with 16 loses
    if kh > 1 and run < _COL_RUN and n <= _COL_N and (kh - 1) * p[5] >= 64:
        _im2col(x, w, bias, mult, shift, out, p)
        return
    if _shape(_CTX, bias, mult, shift, p[3], p[4], p[5], kh, run, row, p[8] * row, p[9] * c,
              int(p) + 40):
        _layer(x, w, out, _CTX)


# pack_q's arguments: bytes of a channel's weights (even), channels, bytes of a channel's
# packed pairs (4 * n2p), then the quad channels left and r8's value while it runs
_PQ = bytearray(20)


@micropython.asm_thumb
def _packq(r0, r1, r2):
    # r0 = the block's first weight (OHWI int8), r1 = _PW, r2 = _PQ. Pairs W = w1 + 65536 * w0;
    # channels in quads (the first nb & ~3) interleave theirs (quad q's pair k of channel
    # 4q + j at word 4 * (q * n2p + k) + j), the rest follow one after another. Pairs past
    # n / 2 stay 0. Returns 0 if a pair is (-128, -128), which the pair form cannot take.
    ldr(r3, [r2, 4])
    ldr(r4, [r2, 8])
    mul(r3, r4)
    mov(r5, 0)
    label(ZERO)
    sub(r3, 4)
    data(2, 0x50CD)  # str r5, [r1, r3]
    bne(ZERO)
    data(2, 0x4645)  # mov r5, r8
    str(r5, [r2, 16])
    mov(r5, 0x80)
    lsl(r5, r5, 16)
    add(r5, 0x80)
    neg(r5, r5)
    data(2, 0x46A8)  # mov r8, r5: 0xFF7FFF80, the pair (-128, -128)
    ldr(r6, [r2, 4])
    lsr(r6, r6, 2)
    lsl(r6, r6, 2)
    str(r6, [r2, 12])
    mov(r3, 16)  # a quad channel's pairs are 16 bytes apart
    label(CH)
    ldr(r6, [r2, 12])
    cmp(r6, 0)
    bne(INQ)
    mov(r3, 4)  # the rest: 4
    label(INQ)
    ldr(r7, [r2, 0])
    add(r0, r0, r7)
    neg(r4, r7)
    mov(r5, r1)
    label(PK)
    data(2, 0x5706)  # ldrsb r6, [r0, r4]: w0
    add(r4, 1)
    data(2, 0x5707)  # ldrsb r7, [r0, r4]: w1
    lsl(r6, r6, 16)
    add(r6, r6, r7)
    data(2, 0x4546)  # cmp r6, r8
    beq(BAD)
    str(r6, [r5, 0])
    add(r5, r5, r3)
    add(r4, 1)
    bne(PK)
    ldr(r6, [r2, 12])
    cmp(r6, 0)
    beq(REST)
    sub(r6, 1)
    str(r6, [r2, 12])
    add(r1, 4)
    lsl(r7, r6, 30)
    bne(NEXT)
    sub(r1, 16)  # the quad is full: the next one starts 4 * n2p words on
    ldr(r7, [r2, 8])
    lsl(r7, r7, 2)
    add(r1, r1, r7)
    b(NEXT)
    label(REST)
    ldr(r7, [r2, 8])
    add(r1, r1, r7)
    label(NEXT)
    ldr(r6, [r2, 4])
    sub(r6, 1)
    str(r6, [r2, 4])
    bne(CH)
    mov(r0, 1)
    b(OUT)
    label(BAD)
    mov(r0, 0)
    label(OUT)
    ldr(r5, [r2, 16])
    data(2, 0x46A8)  # mov r8, r5


@micropython.viper
def _bsz(n2p: int) -> int:  # output channels a block: whole quads where more than one fits
    b = int(_PWN) // n2p
    return b & ~3 if b > 4 else b


@micropython.viper
def _pack(w, o0: int, nb: int, n: int, n2p: int) -> int:
    q = ptr32(_PQ)
    q[0] = n
    q[1] = nb
    q[2] = 4 * n2p
    return int(_packq(int(ptr8(w)) + o0 * n, _PW, _PQ))


@micropython.viper
def _pairs(x, w, bias: ptr32, mult: ptr32, shift: ptr32, out, p: ptr32) -> int:
    # conv in the pair form: weights packed a block of output channels at a time into _PW
    # (_packq, quads interleaved), then one assembler call runs every pixel of the block
    # (kind -2: each pixel's window packed into _CTX's tail, a word of two inputs times a
    # word of two weights, four channels a pass). The window's rows must hold whole pairs (run even). 0 (nothing trustworthy
    # written) if a weight pair is (-128, -128).
    c = p[2]
    kh = p[6]
    run = p[7] * c
    row = p[1] * c
    noc = p[5]
    n = kh * run
    n2p = ((n >> 1) + 3) & ~3
    t = ptr32(_CTX)
    for i in range(n >> 1, n2p):  # the assembler packs n / 2 pairs; those past them stay 0
        t[(_XPK >> 2) + i] = 0
    bsz = int(_bsz(n2p))
    o = int(ptr8(out))
    ob = 0
    while ob < noc:
        nb = noc - ob
        if nb > bsz:
            nb = bsz
        if not int(_pack(w, ob, nb, n, n2p)):
            return 0
        if not _shape(_CTX, int(bias) + 4 * ob, int(mult) + 4 * ob, int(shift) + 4 * ob, p[3],
                      p[4], nb, 1, 4 * n2p, 0, p[8] * row, p[9] * c, int(p) + 40):
            return 1
        t[28] = -2  # _DM: packed pairs
        t[_PRR >> 2] = run | (row << 16)
        t[_PKR >> 2] = kh | ((noc - nb) << 16)
        _layer(x, _PW, o + ob, _CTX)
        ob += nb
    return 1


@micropython.viper
def _im2col(x, w, bias: ptr32, mult: ptr32, shift: ptr32, out, p: ptr32):
    c = p[2]
    row = p[1] * c
    run = p[7] * c
    kh = p[6]
    noc = p[5]
    ystep = p[8] * row
    xstep = p[9] * c
    if not _shape(_CTX, bias, mult, shift, 1, 1, noc, 1, kh * run, 0, 0, 0, int(p) + 40):
        return
    xs = ptr8(x)
    col = ptr8(_COL)
    o = int(ptr8(out))
    rowx = 0
    for oy in range(p[3]):
        pix = rowx
        for ox in range(p[4]):
            k = 0
            xr = pix
            for ky in range(kh):
                for i in range(run):
                    col[k] = xs[xr + i]
                    k += 1
                xr += row
            _layer(col, w, o, _CTX)
            o += noc
            pix += xstep
        rowx += ystep


@micropython.viper
def dwconv(x, w, bias: ptr32, mult: ptr32, shift: ptr32, out, p: ptr32):
    # p = [ph, pw, c, oh, ow, m, kh, kw, sh, sw, out_zp, act_min, act_max]; w (kh, kw, c*m)
    c = p[2]
    dm = p[5]
    kw = p[7]
    if c <= 0 or kw <= 0:  # no MACs: the viper kernel's loops handle that shape
        _kv.dwconv(x, w, bias, mult, shift, out, p)
        return
    row = p[1] * c
    if _shape(_CTX, bias, mult, shift, p[3], p[4], c * dm, p[6], kw * c, row, p[8] * row,
              p[9] * c, int(p) + 40):
        t = ptr32(_CTX)
        t[24] = c * dm
        if dm == 1 and p[3] * p[4] >= 8 and int(_dwpairs(w, p[6], kw, c, row)):
            # channel-wise in pairs of taps (packing pays from a few pixels on)
            t[25] = int(ptr8(_TAPS))
            t[26] = int(ptr8(_PW)) + 4 * c * ((p[6] * kw) >> 1)
            t[28] = -3
            _layer(x, _PW, out, _CTX)
            return
        if dm == 1 and c <= _ACC_N:  # channel-wise: the inner loop runs over channels
            a = ptr32(_ACC)
            t[25] = kw
            t[26] = int(a)
            t[28] = -1
        else:
            t[25] = kw * c * dm
            t[28] = dm
            t[29] = c
        _layer(x, w, out, _CTX)

_TAPS = bytearray(4 * (4 + _TAPN))
_PD = bytearray(12)  # _packdw's arguments: c, pairs; then r8's value while it runs


@micropython.asm_thumb
def _packdw(r0, r1, r2):
    # r0 = depthwise weights (kh, kw, c), r1 = _PW, r2 = _PD: for each pair of taps a, b
    # (0 and 1, 2 and 3, ...) and channel o, W = w_b + 65536 * w_a; 0 if a pair is
    # (-128, -128)
    ldr(r3, [r2, 0])
    data(2, 0x4645)  # mov r5, r8
    str(r5, [r2, 8])
    mov(r5, 0x80)
    lsl(r5, r5, 16)
    add(r5, 0x80)
    neg(r5, r5)
    data(2, 0x46A8)  # mov r8, r5: 0xFF7FFF80, the pair (-128, -128)
    label(PAIR)
    add(r0, r0, r3)  # tap a's weights end
    add(r7, r0, r3)  # tap b's
    neg(r4, r3)
    label(WORD)
    data(2, 0x5705)  # ldrsb r5, [r0, r4]: w_a
    data(2, 0x573E)  # ldrsb r6, [r7, r4]: w_b
    lsl(r5, r5, 16)
    add(r5, r5, r6)
    data(2, 0x4545)  # cmp r5, r8
    beq(BAD)
    str(r5, [r1, 0])
    add(r1, 4)
    add(r4, 1)
    bne(WORD)
    mov(r0, r7)
    ldr(r4, [r2, 4])
    sub(r4, 1)
    str(r4, [r2, 4])
    bne(PAIR)
    mov(r0, 1)
    b(OUT)
    label(BAD)
    mov(r0, 0)
    label(OUT)
    ldr(r5, [r2, 8])
    data(2, 0x46A8)  # mov r8, r5


@micropython.viper
def _dwpairs(w, kh: int, kw: int, c: int, row: int) -> int:
    # pack the weights and fill _TAPS; 0 if the pair form cannot take the layer
    nt = kh * kw
    np = nt >> 1
    if np == 0 or nt > _TAPN or (np + 1) * c > int(_PWN):
        return 0
    d = ptr32(_PD)
    d[0] = c
    d[1] = np
    if not int(_packdw(w, _PW, _PD)):
        return 0
    t = ptr32(_TAPS)
    t[0] = np
    t[1] = nt & 1
    t[2] = int(ptr8(w)) + (nt - 1) * c
    t[3] = ((nt - 1) // kw) * row + ((nt - 1) % kw) * c
    i = 0
    while i < 2 * np:
        t[4 + i] = (i // kw) * row + (i % kw) * c
        i += 1
    return 1

# pad (kernels_viper_pool.pad's arguments) where buffers, rows and the offset are 4-aligned:
# fill and copy a word a step, ~4 instructions a word (viper's word loop: ~30)
_PADC = bytearray(24)  # int32s: fill words, fill word, rows, row bytes in and out, offset


@micropython.asm_thumb
def _pad32(r0, r1, r2):
    # r0 = x, r1 = out, r2 = _PADC; rows and row bytes in are > 0
    ldr(r3, [r2, 0])
    ldr(r4, [r2, 4])
    mov(r5, r1)
    cmp(r3, 0)
    beq(COPY)
    label(FILL)
    str(r4, [r5, 0])
    add(r5, 4)
    sub(r3, 1)
    bne(FILL)
    label(COPY)
    ldr(r3, [r2, 8])
    ldr(r6, [r2, 12])
    ldr(r7, [r2, 16])
    ldr(r5, [r2, 20])
    add(r5, r5, r1)
    label(ROW)
    mov(r4, 0)
    label(WORD)
    data(2, 0x5901)  # ldr r1, [r0, r4]
    data(2, 0x5129)  # str r1, [r5, r4]
    add(r4, 4)
    cmp(r4, r6)
    blt(WORD)
    add(r0, r0, r6)
    add(r5, r5, r7)
    sub(r3, 1)
    bne(ROW)


@micropython.viper
def pad(x, out, p: ptr32):
    # p = [h, w, c, top, left, ph, pw, fill]
    c = p[2]
    rowx = p[1] * c
    rowo = p[6] * c
    d = p[3] * rowo + p[4] * c
    if p[0] <= 0 or rowx <= 0 or ((int(ptr8(x)) | int(ptr8(out)) | rowx | rowo | d) & 3) != 0:
        _kvp.pad(x, out, p)
        return
    f = p[7] & 0xFF
    f = f | (f << 8)
    t = ptr32(_PADC)
    t[0] = (p[5] * rowo) >> 2
    t[1] = f | (f << 16)
    t[2] = p[0]
    t[3] = rowx
    t[4] = rowo
    t[5] = d
    _pad32(x, out, _PADC)


@micropython.asm_thumb
def _pad32i(r0, r1):
    # pad_inplace on words: r0 = the buffer (x at its start), r1 = _PADI: rows, row bytes in
    # and out, row 0's offset out, fill word, bytes out; every offset 4-aligned, rows > 0
    ldr(r2, [r1, 0])
    ldr(r3, [r1, 4])
    ldr(r4, [r1, 8])
    sub(r6, r2, 1)
    mov(r7, r6)
    mul(r7, r3)
    add(r7, r7, r0)  # the last row in
    mul(r6, r4)
    ldr(r5, [r1, 12])
    add(r6, r6, r5)
    add(r6, r6, r0)  # the last row out (at a higher address: copied last word first)
    label(ROW)
    mov(r5, r3)
    label(WORD)
    sub(r5, 4)
    data(2, 0x5978)  # ldr r0, [r7, r5]
    data(2, 0x5170)  # str r0, [r6, r5]
    bne(WORD)
    sub(r7, r7, r3)
    sub(r6, r6, r4)
    sub(r2, 1)
    bne(ROW)
    add(r0, r7, r3)  # the buffer again
    # the border: h + 1 runs, [0, row 0 out), then from each row's end to the next row
    ldr(r2, [r1, 16])
    mov(r5, 0)
    ldr(r6, [r1, 12])
    ldr(r7, [r1, 0])
    label(RUN)
    cmp(r5, r6)
    bge(RUNEND)
    data(2, 0x5142)  # str r2, [r0, r5]
    add(r5, 4)
    b(RUN)
    label(RUNEND)
    sub(r7, 1)
    blt(END)
    add(r5, r6, r3)
    add(r6, r6, r4)
    cmp(r7, 0)
    bne(RUN)
    ldr(r6, [r1, 20])  # after the last row: to the end
    b(RUN)
    label(END)


_PADI = bytearray(24)


@micropython.viper
def pad_inplace(x, out, p: ptr32):
    # kernels_viper_pool.pad_inplace's arguments and result; words where aligned
    c = p[2]
    rowx = p[1] * c
    rowo = p[6] * c
    d = p[3] * rowo + p[4] * c
    if p[0] <= 0 or rowx <= 0 or ((int(ptr8(out)) | rowx | rowo | d) & 3) != 0:
        _kvp.pad_inplace(x, out, p)
        return
    f = p[7] & 0xFF
    f = f | (f << 8)
    t = ptr32(_PADI)
    t[0] = p[0]
    t[1] = rowx
    t[2] = rowo
    t[3] = d
    t[4] = f | (f << 16)
    t[5] = p[5] * rowo
    _pad32i(out, _PADI)
