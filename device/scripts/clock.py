# MicroPython benchmark clock, prepended to bench scripts by the host.
# Boards and Unix ports: microseconds. The QEMU micro:bit has no time module:
# there the nRF51 TIMER0 runs on QEMU's virtual clock, which under -icount
# advances 1 ns per instruction, so it counts instructions (62.5 per tick).
# The QEMU MPS2 (m3) has none either: its CMSDK timer counts instructions the same
# way. Elsewhere UNIT is "none" and times are 0.
import sys
from micropython import const

try:
    from time import ticks_us, ticks_diff

    UNIT = "us"

    def clock():
        return ticks_us()

    def elapsed(t0):
        return ticks_diff(ticks_us(), t0)

except ImportError:
    import machine

    if "nRF51" in sys.implementation._machine:
        UNIT = "instructions"
        _TIMER0 = const(0x40008000)
        machine.mem32[_TIMER0 + 0x504] = 0  # MODE: timer
        machine.mem32[_TIMER0 + 0x508] = 3  # BITMODE: 32 bit
        machine.mem32[_TIMER0 + 0x510] = 0  # PRESCALER: 16 MHz
        machine.mem32[_TIMER0] = 1  # TASKS_START

        def clock():
            machine.mem32[_TIMER0 + 0x40] = 1  # TASKS_CAPTURE[0]
            return machine.mem32[_TIMER0 + 0x540]  # CC[0]

        def elapsed(t0):
            return ((clock() - t0) & 0xFFFFFFFF) * 125 // 2

    elif "mps2" in sys.implementation._machine:
        # MPS2 boards (the m3): CMSDK APB TIMER0, a 32-bit down-counter at 25 MHz, so under
        # -icount one tick is 40 instructions.
        UNIT = "instructions"
        _TIMER = const(0x40000000)
        machine.mem32[_TIMER + 8] = -1  # RELOAD
        machine.mem32[_TIMER + 4] = -1  # VALUE
        machine.mem32[_TIMER] = 1  # CTRL: enable

        def clock():
            return machine.mem32[_TIMER + 4]

        def elapsed(t0):
            return ((t0 - clock()) & 0xFFFFFFFF) * 40

    else:  # a board with neither time nor a known timer: no measurement
        UNIT = "none"

        def clock():
            return 0

        def elapsed(t0):
            return 0


def repeat(fn, args, min_us):
    """(time, calls) of fn(*args) called back to back: once where UNIT counts instructions
    (exact), else as many times as span min_us."""
    n = 0
    t0 = clock()
    while True:
        fn(*args)
        n += 1
        t = elapsed(t0)
        if UNIT != "us" or t >= min_us:
            return t, n
