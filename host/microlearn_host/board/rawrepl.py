"""A minimal MicroPython raw-REPL client over a file descriptor (pty or serial).

Used to drive the QEMU boards, whose only I/O is a UART exposed as a pty.
Protocol: Ctrl-A enters raw mode; code, then Ctrl-D, is answered with
"OK", the output, \\x04, the error output, \\x04, ">".
"""
import os
import select
import time


class ReplError(OSError):
    pass


class ReplTimeout(ReplError):
    pass


class RawRepl:
    def __init__(self, fd):
        self.fd = fd
        self.seen = bytearray()  # everything read, for error messages
        self.pending = bytearray()  # read but not yet consumed

    def _read_until(self, ending, deadline, feed=None):
        """Bytes up to and including `ending`; feed(bytes) sees those before it as they arrive."""
        buf = self.pending
        fed = 0
        while True:
            i = buf.find(ending)
            if feed:
                upto = i if i >= 0 else len(buf) - len(ending) + 1
                if upto > fed:
                    feed(bytes(buf[fed:upto]))
                    fed = upto
            if i >= 0:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReplTimeout("no %r from the board in time; got %r" % (ending, bytes(buf[-200:])))
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 4096)
            except OSError as e:  # EIO: the other side of the pty went away
                raise ReplError("board connection closed (%s); got %r" % (e, bytes(buf[-200:])))
            if not chunk:
                raise ReplError("board connection closed; got %r" % bytes(buf[-200:]))
            buf += chunk
            self.seen += chunk
        end = i + len(ending)
        self.pending = buf[end:]
        return bytes(buf[:end])

    def _write(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view[:256])
            view = view[n:]

    def enter(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        self._write(b"\r\x03\x03")
        time.sleep(0.05)
        self._write(b"\r\x01")
        self._read_until(b"raw REPL; CTRL-B to exit\r\n>", deadline)

    def exec_(self, code, timeout=60.0, feed=None):
        """Run `code` (str or bytes); return (stdout bytes, stderr bytes).
        feed(bytes), if given, sees the output as it arrives."""
        if isinstance(code, str):
            code = code.encode()
        deadline = time.monotonic() + timeout
        self._write(code)
        self._write(b"\x04")
        ok = self._read_until(b"OK", deadline)
        if not ok.endswith(b"OK"):
            raise ReplError("board did not accept the code: %r" % ok)
        out = self._read_until(b"\x04", deadline, feed)[:-1]
        err = self._read_until(b"\x04", deadline)[:-1]
        self._read_until(b">", deadline)
        return out, err
