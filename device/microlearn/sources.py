# Where the app's samples come from. A source has one method, read(t): the next model input
# (a sequence the Model's predict takes) when one is ready at ticks_ms time t, else None.
#   Windower   pure: sensor samples in, sliding windows (window x channels floats) out
#   MPU6050    an MPU-6050 accelerometer + gyro on an I2C bus, windowed as the watch task
#   Samples    int8 inputs (bytes or a file) played one per period: recordings, tests, demos
#   Lines      int8 inputs as hex lines on the USB serial link (`microlearn stream` sends them)
from array import array
from micropython import const

from .compat import ticks_diff

_WHO_AM_I = const(0x75)
_PWR_MGMT_1 = const(0x6B)
_GYRO_CONFIG = const(0x1B)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_XOUT_H = const(0x3B)
_LSB_PER_G = const(16384)  # +-2 g: a division by it is exact (a constant 1/16384 parsed
# on a float32 port may not be)
_RAD_PER_LSB = 3.141592653589793 / 180 / 131  # +-250 deg/s


class Windower:
    """push(sample) with `channels` floats; returns a window (array('f') of window x
    channels, oldest first: the model's (window, 1, channels) input) every `hop` samples
    once `window` samples are in, else None. The returned array is reused."""

    def __init__(self, window=100, hop=50, channels=6):
        for name, v in (("window", window), ("hop", hop), ("channels", channels)):
            if not isinstance(v, int) or v < 1:
                raise ValueError("%s must be an int >= 1, got %r" % (name, v))
        if hop > window:
            raise ValueError("hop=%d is longer than window=%d" % (hop, window))
        self.window, self.hop, self.channels = window, hop, channels
        self._ring = array("f", bytes(4 * window * channels))
        self.out = array("f", bytes(4 * window * channels))
        self._r = memoryview(self._ring)
        self._o = memoryview(self.out)
        self._n = 0  # samples pushed
        self._next = window  # sample count at which the next window is due

    def push(self, sample):
        c = self.channels
        if len(sample) != c:
            raise ValueError("a sample has %d channels, expected %d" % (len(sample), c))
        at = (self._n % self.window) * c
        for j in range(c):
            self._ring[at + j] = sample[j]
        self._n += 1
        if self._n < self._next:
            return None
        self._next += self.hop
        start = (self._n % self.window) * c  # the oldest sample's place in the ring
        size = self.window * c
        n = size - start
        self._o[0:n] = self._r[start:size]  # two block copies: no float boxed per value
        self._o[n:size] = self._r[0:start]
        return self.out


class MPU6050:
    """Accelerometer (g) and gyro (rad/s) of an MPU-6050 at `addr` on `i2c` (anything with
    readfrom_mem_into and writeto_mem, as machine.I2C), sampled every 1000 / rate_hz ms and
    windowed as the watch model's input: ax, ay, az, wx, wy, wz."""

    def __init__(self, i2c, addr=0x68, rate_hz=50, window=100, hop=50):
        self.i2c, self.addr = i2c, addr
        self._b1 = bytearray(1)
        self._raw = bytearray(14)
        self._s = array("f", bytes(24))
        try:
            i2c.readfrom_mem_into(addr, _WHO_AM_I, self._b1)
        except OSError as e:
            raise OSError("no MPU-6050 answers at I2C address 0x%02x (%s)" % (addr, e))
        if self._b1[0] not in (0x68, 0x70, 0x72, 0x98):  # MPU-6050 / -6500 family
            raise OSError("the device at I2C address 0x%02x is not an MPU-6050 (WHO_AM_I "
                          "0x%02x)" % (addr, self._b1[0]))
        for reg, v in ((_PWR_MGMT_1, 0), (_ACCEL_CONFIG, 0), (_GYRO_CONFIG, 0)):  # awake, +-2 g,
            self._b1[0] = v  # +-250 deg/s
            i2c.writeto_mem(addr, reg, self._b1)
        self.period_ms = 1000 // rate_hz
        self.win = Windower(window, hop, 6)
        self._t = None

    def sample(self):
        """One reading: array('f') of ax, ay, az (g), wx, wy, wz (rad/s), reused."""
        r = self._raw
        self.i2c.readfrom_mem_into(self.addr, _ACCEL_XOUT_H, r)
        s = self._s
        for j in range(3):  # big-endian int16: accel at 0..5, temperature 6..7, gyro 8..13
            a = (r[2 * j] << 8) | r[2 * j + 1]
            g = (r[8 + 2 * j] << 8) | r[9 + 2 * j]
            s[j] = (a - 65536 if a > 32767 else a) / _LSB_PER_G
            s[3 + j] = (g - 65536 if g > 32767 else g) * _RAD_PER_LSB
        return s

    def read(self, t):
        if self._t is not None and ticks_diff(t, self._t) < self.period_ms:
            return None
        self._t = t
        return self.win.push(self.sample())


class Samples:
    """Int8 inputs of `size` bytes in turn, one every period_ms: from `data`, bytes (loop:
    start over at the end) or an open file read one sample at a time (a recording larger
    than the heap). read() returns a bytearray the next call overwrites."""

    def __init__(self, data, size, period_ms=1000, loop=False):
        self.file = data if hasattr(data, "readinto") else None
        if self.file is None:
            if size < 1 or len(data) < size or len(data) % size:
                raise ValueError("data of %d bytes is not a whole number of %d-byte samples"
                                 % (len(data), size))
            self.data = memoryview(data)
            self.count = len(data) // size
        elif size < 1:
            raise ValueError("sample size %d: must be >= 1" % size)
        self.size, self.period_ms, self.loop = size, period_ms, loop
        self._buf = bytearray(size)
        self.index = 0  # of the next sample
        self.done = False  # every sample played (never, with loop)
        self._t = None

    def read(self, t):
        if self.done or self._t is not None and ticks_diff(t, self._t) < self.period_ms:
            return None
        if self.file is not None:
            if self.file.readinto(self._buf) != self.size:
                self.done = True  # the end of the file (a partial sample is not one)
                return None
        else:
            if self.index >= self.count:
                if not self.loop:
                    self.done = True
                    return None
                self.index = 0
            i = self.index * self.size
            self._buf[:] = self.data[i:i + self.size]
        self._t = t
        self.index += 1
        return self._buf


class Lines:
    """Int8 inputs of `size` bytes sent as hex text lines (`microlearn stream` sends them over
    the USB serial link) on `stream` (default sys.stdin): read() returns one when a whole
    line has come, else None. Text, not bytes: a raw 0x03 would be a Ctrl-C."""

    def __init__(self, size, stream=None):
        import select
        import sys
        self.size = size
        self.stream = sys.stdin if stream is None else stream
        self._poll = select.poll()
        self._poll.register(self.stream, select.POLLIN)
        self.buf = bytearray(size)
        self.count = self.bad = 0

    def read(self, t):
        if not self._poll.poll(0):
            return None
        line = self.stream.readline()  # the sender writes whole lines: this does not wait
        if not line:
            return None
        try:
            from binascii import unhexlify
            data = unhexlify(line.strip())
        except ValueError:
            data = b""
        if len(data) != self.size:  # a garbled or foreign line: say so once per line, skip it
            self.bad += 1
            print("microlearn: skipped a line of %d hex digits, expected %d"
                  % (len(line.strip()), 2 * self.size))
            return None
        self.buf[:] = data
        self.count += 1
        return self.buf
