# The learned-state file of a Learner (docs/format.md, "Learned-state file"): one file, a
# header with the model's identity, sections streamed straight from the caller's buffers,
# CRC32 at the end. Written to path + ".tmp" and renamed over path, so a power cut leaves the
# old state or the new one.
#
#   save(path, ident, meta, sections)      -> None; OSError (errno kept) that says what failed
#   load(path, ident, meta_len, into)      -> tuple of meta ints, or None (no usable state)
#   model_ident(mlm_buf)                   -> ident of a .mlm held in memory
#
# ident    (crc, size): the model file's trailing CRC32 field and its size in bytes.
# meta     a fixed sequence of 32-bit ints, in [-2**31, 2**32); load returns them as signed
#          int32 (a uint32 such as the xorshift state comes back as `v & 0xFFFFFFFF`). The
#          Learner passes (D, CMAX, K, n_classes, steps, updates, rand, rr_pointer, R, LR, LS,
#          LRB, LBS): an order fixed by the Learner, checked by count here.
# sections a fixed sequence, each a list/tuple of str (class names, length-prefixed UTF-8,
#          <= 255 bytes each) or a buffer (bytearray, bytes, memoryview, array.array) written
#          as its raw little-endian memory. The Learner passes
#          (names, wm, bm, mult, shift, fill, seen, buffer).
# into     the same sequence for load: a list for names (replaced in place), a preallocated
#          writable buffer of exactly the saved byte size for each buffer (filled with readinto).
#
# The Learner:  ident = state.model_ident(model_bytes)
#               secs = (names, wm, bm, mult, shift, fill, seen, buf)
#               state.save(path, ident, meta, secs); meta = state.load(path, ident, 13, secs)
# then recomputes w8/bias from wm/bm and checks meta[0:3] against its own D, CMAX, K.
#
# load verifies the whole file (CRC in a streaming pass, then the layout against `into`)
# before it writes to any destination, so on None the caller's buffers are untouched. A
# corrupt, foreign or mismatched file is renamed to path + ".bad" with a printed warning.
# (Only if the file changes between the two passes can an OSError leave them half-filled.)
import os
import struct
from array import array
from binascii import crc32
from micropython import const

_MAGIC = b"MLST"
VERSION = const(1)
_FIX = "<4sHHIIIHH"  # magic, version, header size, file size, model crc, model size, nm, ns
_FIX_SIZE = const(24)
_REC = "<BBHI"  # kind, itemsize, name count, payload bytes
_REC_SIZE = const(8)
_NAMES = const(0)
_BUF = const(1)
_CHUNK = const(512)
_EPERM = const(1)
_ENOENT = const(2)
_EACCES = const(13)
_EEXIST = const(17)
_ENOSPC = const(28)
_EROFS = const(30)


# built once: a tuple literal in a function is rebuilt (allocated) on every call
_BYTES = (bytes, bytearray)
_BUFFERS = (bytes, bytearray, memoryview, array)
_WRITABLE = (bytearray, memoryview, array)
_SEQS = (list, tuple)


class _Bad(Exception):
    pass


def model_ident(buf):
    """(crc, size) of a .mlm file held in `buf`: its trailing CRC32 field and its length."""
    return struct.unpack_from("<I", buf, len(buf) - 4)[0], len(buf)


def _nbytes(buf):
    if isinstance(buf, _BYTES):
        return len(buf), 1
    n = len(buf)
    size = len(bytes(buf[:1])) if n else 1  # arrays have no itemsize in MicroPython
    return n * size, size


def _layout(sections):
    """[(kind, itemsize, count, nbytes, payload)]; TypeError/ValueError before any file work."""
    out = []
    for i, s in enumerate(sections):
        if isinstance(s, _SEQS):
            enc = []
            for name in s:
                if not isinstance(name, str):
                    raise TypeError("section %d: class names must be str, got %s"
                                    % (i, type(name).__name__))
                enc.append(name.encode())
                if len(enc[-1]) > 255:
                    raise ValueError("section %d: name %r is longer than 255 bytes" % (i, name))
            if len(s) > 0xFFFF:
                raise ValueError("section %d: %d names, at most 65535" % (i, len(s)))
            n = len(enc)
            for e in enc:
                n += len(e)
            p, n = bytearray(n), 0  # one allocation, not one per name
            for e in enc:
                p[n] = len(e)
                p[n + 1:n + 1 + len(e)] = e
                n += 1 + len(e)
            out.append((_NAMES, 0, len(s), len(p), p))
        elif isinstance(s, _BUFFERS):
            n, size = _nbytes(s)
            out.append((_BUF, size, 0, n, s))
        else:
            raise TypeError("section %d: expected a list of names or a buffer (bytearray, "
                            "array), got %s" % (i, type(s).__name__))
    return out


def _ident(ident):
    if not (isinstance(ident, tuple) and len(ident) == 2 and isinstance(ident[0], int)
            and isinstance(ident[1], int)):
        raise TypeError("ident must be (model crc, model size) ints, got %r" % (ident,))
    if not (0 <= ident[0] <= 0xFFFFFFFF and 0 <= ident[1] <= 0xFFFFFFFF):
        raise ValueError("ident %r out of the uint32 range" % (ident,))
    return ident


def _oserror(e, path):
    code = e.errno if isinstance(e.errno, int) else 0
    if code == _ENOSPC:
        why = "the filesystem is full (ENOSPC)"
    elif code in (_EROFS, _EACCES, _EPERM):
        why = "the filesystem is read-only or not writable (errno %d)" % code
    else:
        why = "OSError %s" % (e.args[0] if e.args else code)
    return OSError(code, "cannot save state file %s: %s; the previous state is kept" % (path, why))


def save(path, ident, meta, sections):
    if not isinstance(path, str):
        raise TypeError("path must be a str, got %s" % type(path).__name__)
    crc_m, size_m = _ident(ident)
    recs = _layout(sections)
    nm = len(meta)
    if nm > 0xFFFF:
        raise ValueError("%d meta values, at most 65535" % nm)
    hsz = _FIX_SIZE + 4 * nm
    fsize = hsz + sum(_REC_SIZE + r[3] for r in recs) + 4
    hdr = bytearray(hsz)
    struct.pack_into(_FIX, hdr, 0, _MAGIC, VERSION, hsz, fsize, crc_m, size_m, nm, len(recs))
    for i, v in enumerate(meta):
        if not isinstance(v, int) or not -0x80000000 <= v <= 0xFFFFFFFF:
            raise ValueError("meta[%d] = %r is not a 32-bit int" % (i, v))
        struct.pack_into("<i" if v < 0x80000000 else "<I", hdr, _FIX_SIZE + 4 * i, v)
    tmp = path + ".tmp"
    rec = bytearray(_REC_SIZE)
    f = None
    try:
        f = open(tmp, "wb")
        crc = _put(f, hdr, hsz, 0)
        for kind, size, count, n, payload in recs:
            struct.pack_into(_REC, rec, 0, kind, size, count, n)
            crc = _put(f, rec, _REC_SIZE, crc)
            crc = _put(f, payload, n, crc)  # the caller's own buffer: no copy
        struct.pack_into("<I", rec, 0, crc & 0xFFFFFFFF)
        _put(f, memoryview(rec)[:4], 4, 0)
        f.close()
        f = None
    except OSError as e:
        if f is not None:
            try:
                f.close()
            except OSError:
                pass
        _remove(tmp)
        raise _oserror(e, path)
    try:
        os.rename(tmp, path)
    except OSError as e:
        if e.errno != _EEXIST:
            _remove(tmp)
            raise _oserror(e, path)
        # FAT-like rename does not replace: a cut between these two leaves only the
        # complete .tmp, which load() recovers.
        try:
            os.remove(path)
            os.rename(tmp, path)
        except OSError as e2:
            raise _oserror(e2, path)


def _put(f, data, want, crc):
    n = f.write(data)
    if n is not None and n != want:  # C files raise instead; a short write means no room
        raise OSError(_ENOSPC, "short write: %d of %d bytes" % (n, want))
    return crc32(data, crc)


def _remove(p):
    try:
        os.remove(p)
    except OSError:
        pass


def load(path, ident, meta_len, into):
    crc_m, size_m = _ident(ident)
    lay = [(_NAMES if isinstance(d, list) else _BUF, _dest_size(i, d)) for i, d in enumerate(into)]
    tmp = path + ".tmp"
    for p in (path, tmp):
        try:
            os.stat(p)
        except OSError as e:
            if e.errno == _ENOENT:
                continue
            raise
        try:
            with open(p, "rb") as f:
                meta, names, offs = _check(f, p, crc_m, size_m, meta_len, lay)
                for d, off, nm, (_, (n, _)) in zip(into, offs, names, lay):
                    if nm is not None:
                        d[:] = nm
                    else:
                        f.seek(off)
                        if f.readinto(d) != n:  # the file changed since _check
                            raise OSError(5, "state file %s: short read" % p)
        except _Bad as e:
            if p == tmp:
                _warn("incomplete %s ignored and removed (it %s)" % (tmp, e))
                _remove(tmp)
            else:
                _remove(path + ".bad")
                try:
                    os.rename(path, path + ".bad")
                    where = "set aside as %s.bad" % path
                except OSError:
                    where = "could not set it aside"
                _warn("state file %s %s; %s, the base model runs" % (path, e, where))
            continue
        try:  # after closing it: FAT must not rename an open file
            if p == tmp:
                os.rename(tmp, path)  # path is missing: the complete copy becomes the state
            else:
                os.remove(tmp)  # left by an interrupted save: the old state wins
        except OSError:
            pass
        return meta
    return None


def _dest_size(i, d):
    if isinstance(d, list):
        return 0, 0
    if isinstance(d, bytes) or not isinstance(d, _WRITABLE):
        raise TypeError("into[%d]: expected a list or a writable buffer, got %s"
                        % (i, type(d).__name__))
    return _nbytes(d)


def _warn(msg):
    print("warning: " + msg)


def _need(ok, fmt, args=()):
    if not ok:  # format only on failure: a passing check allocates nothing
        raise _Bad(fmt % args)


def _check(f, p, crc_m, size_m, meta_len, lay):
    """Verify the whole file, touching no destination; returns (meta, names, offsets).
    _Bad messages complete the sentence "state file <path> ..."."""
    end = os.stat(p)[6] - 4
    _need(end >= _FIX_SIZE, "is truncated (%d bytes)", end + 4)
    chunk = bytearray(_CHUNK)
    mv = memoryview(chunk)
    k = min(_CHUNK, end)
    _need(f.readinto(mv[:k] if k < _CHUNK else chunk) == k, "could not be read")
    magic, ver, hsz, fsize, crc_f, size_f, nm, ns = struct.unpack_from(_FIX, chunk, 0)
    _need(magic == _MAGIC, "is not a microlearn state (magic %r)", magic)
    _need(ver == VERSION, "has version %d, this code reads %d", (ver, VERSION))
    _need(fsize == end + 4, "has %d bytes, its header says %d (truncated?)", (end + 4, fsize))
    _need(hsz == _FIX_SIZE + 4 * nm and hsz <= end, "has a bad header size %d", hsz)
    left, crc = end, 0
    while True:
        crc = crc32(mv[:k] if k < _CHUNK else chunk, crc)
        left -= k
        if not left:
            break
        k = min(_CHUNK, left)
        _need(f.readinto(mv[:k] if k < _CHUNK else chunk) == k, "could not be read")
    _need(f.readinto(mv[:4]) == 4 and struct.unpack_from("<I", chunk, 0)[0] == crc & 0xFFFFFFFF,
          "is corrupt (CRC mismatch)")
    _need(crc_f == crc_m and size_f == size_m, "belongs to another model (crc 0x%08x, size %d; "
          "this model: crc 0x%08x, size %d)", (crc_f, size_f, crc_m, size_m))
    _need(nm == meta_len and ns == len(lay), "has %d counters and %d sections, this Learner "
          "expects %d and %d", (nm, ns, meta_len, len(lay)))
    f.seek(_FIX_SIZE)
    meta = struct.unpack("<%di" % nm, f.read(4 * nm))
    pos, names, offs, rec = hsz, [], [], mv[:_REC_SIZE]
    for i, (kind, (n, size)) in enumerate(lay):
        _need(pos + _REC_SIZE <= end, "is truncated in section %d", i)
        f.seek(pos)
        f.readinto(rec)
        k, size_f, count, n_f = struct.unpack_from(_REC, chunk, 0)
        pos += _REC_SIZE
        if not (k == kind and (kind == _NAMES or (n_f == n and size_f == size))
                and pos + n_f <= end):
            raise _Bad("does not fit this Learner: section %d holds %d bytes of %d-byte items, "
                       "expected %d of %d" % (i, n_f, size_f, n, size))
        offs.append(pos)
        names.append(_names(f, i, count, pos, n_f) if kind == _NAMES else None)
        pos += n_f
    _need(pos == end, "has %d stray bytes after the sections", end - pos)
    return meta, names, offs


def _names(f, i, count, pos, n):
    f.seek(pos)
    raw = f.read(n)
    out, pos = [], 0
    for _ in range(count):
        _need(pos < n and pos + 1 + raw[pos] <= n, "has a damaged name list (section %d)", i)
        try:
            out.append(str(memoryview(raw)[pos + 1:pos + 1 + raw[pos]], "utf-8"))
        except UnicodeError:
            raise _Bad("has a name that is not UTF-8 (section %d)" % i)
        pos += 1 + raw[pos]
    _need(pos == n, "has a damaged name list (section %d)", i)
    return out
