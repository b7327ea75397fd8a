# Sample sources (microlearn.sources): the Windower's windows against the samples pushed,
# the MPU-6050 reader on a fake I2C bus (register map, unit conversion, sampling period,
# windows, a missing or foreign device), and Samples' timing and looping.
from array import array
from devtest import check, equal, raises, done, result, target
from microlearn.sources import Windower, MPU6050, Samples

result("target", target())

w = Windower(window=4, hop=2, channels=2)
got = []
for i in range(9):
    out = w.push([i * 10, i * 10 + 1])
    got.append(None if out is None else [int(v) for v in out])
want = [None, None, None, [0, 1, 10, 11, 20, 21, 30, 31], None,
        [20, 21, 30, 31, 40, 41, 50, 51], None, [40, 41, 50, 51, 60, 61, 70, 71], None]
equal("windows of the last 4 samples, oldest first, every 2", got, want)
raises("a sample with 3 channels", ValueError, w.push, [1, 2, 3])
raises("hop longer than the window", ValueError, Windower, 4, 5, 1)


class I2C:  # a fake bus: the MPU-6050's registers, or nothing at all
    def __init__(self, who=0x68, present=True):
        self.mem = bytearray(128)
        self.mem[0x75] = who
        self.mem[0x6B] = 0x40  # asleep, as at power-up
        self.present = present
        self.reads = 0

    def readfrom_mem_into(self, addr, reg, buf):
        if not self.present or addr != 0x68:
            raise OSError(19)  # ENODEV, as machine.I2C raises
        self.reads += 1
        for i in range(len(buf)):
            buf[i] = self.mem[reg + i]

    def writeto_mem(self, addr, reg, buf):
        for i in range(len(buf)):
            self.mem[reg + i] = buf[i]


def be16(v):
    v &= 0xFFFF
    return bytes([v >> 8, v & 0xFF])


bus = I2C()
m = MPU6050(bus, window=3, hop=3)
equal("woken, +-2 g, +-250 deg/s", [bus.mem[0x6B], bus.mem[0x1C], bus.mem[0x1B]], [0, 0, 0])
bus.mem[0x3B:0x49] = be16(16384) + be16(-8192) + be16(-16384) + be16(999) + \
    be16(131 * 180) + be16(0) + be16(-131 * 180)
s = m.sample()
equal("accelerometer in g", [s[0], s[1], s[2]], [1.0, -0.5, -1.0])
# 131 LSB per deg/s: 180 deg/s is pi rad/s (a float32 unit conversion, so a range)
check("gyro in rad/s", 3.1415 < s[3] < 3.1417 and s[4] == 0 and -3.1417 < s[5] < -3.1415,
      list(s))
n0 = bus.reads
ready = [m.read(t) is not None for t in (0, 5, 19, 20, 40, 45, 60)]
equal("a sample every 20 ms (50 Hz), a window every 3 samples", ready,
      [False, False, False, False, True, False, False])
equal("the bus is read once per sample", bus.reads - n0, 4)
raises("no device on the bus", OSError, MPU6050, I2C(present=False))
raises("another device at the address", OSError, MPU6050, I2C(who=0x12))
try:
    MPU6050(I2C(present=False), addr=0x69)
except OSError as e:
    check("the error names the address", "0x69" in str(e), str(e))

src = Samples(bytes(range(12)), 4, period_ms=100)
got = [None if g is None else bytes(g) for g in (src.read(t) for t in (0, 50, 100, 199, 200, 300))]
equal("one sample per period, then none (copied as read: the buffer is reused)", got,
      [bytes([0, 1, 2, 3]), None, bytes([4, 5, 6, 7]), None, bytes([8, 9, 10, 11]), None])
check("done once every sample is played", src.done)
loop = Samples(bytes(8), 4, period_ms=0, loop=True)
equal("loop starts over", [loop.read(t) is not None for t in range(5)], [True] * 5)
raises("data not a whole number of samples", ValueError, Samples, bytes(10), 4)
with open("s.bin", "wb") as f:
    f.write(bytes(range(10)))
with open("s.bin", "rb") as f:
    fs = Samples(f, 4, period_ms=0)
    equal("from a file, one sample at a time; a partial one at the end is dropped",
          [None if g is None else bytes(g) for g in (fs.read(t) for t in range(4))],
          [bytes([0, 1, 2, 3]), bytes([4, 5, 6, 7]), None, None])
done()
