"""Persist QModels and load any model file (float .npz, .qmodel.npz, .tflite, .mlm).

A .qmodel.npz holds the .tflite bytes made by tflite.writer plus what .tflite
cannot carry for us: the input normalisation (mean/std, applied before
quantizing on the device) and the class names. Loading re-imports the bytes
with tflite.importer, so every save/load is an honest round trip through the
same file tflite-micro runs. Writes go to a temporary name and are renamed,
so a failure never leaves a half-written file.
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from .. import nn

QFORMAT = "microlearn.QModel"
FLOAT_FORMAT = "microlearn.nn.Sequential"


def atomic_write(path: str, write) -> None:
    """write(tmp_path) then rename to path; the temporary file never survives, and an
    error names `path` (the user's name), not the temporary one."""
    from .paths import check_writable
    try:
        check_writable(path)
    except ValueError as e:
        raise OSError(str(e)) from None
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, f".{os.path.basename(path)}.tmp{os.getpid()}")
    try:
        os.makedirs(d, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise OSError(f"{path}: cannot write it ({e.strerror or e})") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_write_bytes(path: str, data: bytes) -> None:
    def w(tmp):
        with open(tmp, "wb") as f:
            f.write(data)
    atomic_write(path, w)


def tflite_bytes(qm) -> bytes:
    from ..tflite import writer
    return writer.write(qm)


def qmodel_from_tflite(data: bytes, source: str = "tflite data"):
    from ..tflite import importer
    try:
        return importer.import_tflite(data)
    except ValueError as e:
        raise ValueError(f"{source}: {e}") from None
    except Exception as e:  # flatbuffers raises struct/index errors on garbage
        raise ValueError(f"{source}: not a valid .tflite model ({type(e).__name__}: {e})") from None


def save_qmodel(qm, path: str) -> None:
    """The format the extension names: .mlm (modelfile), .tflite (mean/std and class names
    in its metadata) or .npz (.qmodel.npz); ValueError for any other."""
    from .paths import out_kind
    kind = out_kind(path, ("npz", "tflite", "mlm"))
    if kind == "mlm":
        from .. import modelfile
        atomic_write_bytes(path, modelfile.write(qm))
        return
    data = tflite_bytes(qm)
    if kind == "tflite":
        atomic_write_bytes(path, data)
        return
    meta = {"class_names": [str(c) for c in qm.class_names]}
    arrays = {"format": np.array(QFORMAT), "tflite": np.frombuffer(data, np.uint8),
              "meta": np.array(json.dumps(meta))}
    if qm.mean is not None:
        arrays["mean"] = np.asarray(qm.mean, np.float32)
        arrays["std"] = np.asarray(qm.std, np.float32)

    def w(tmp):
        with open(tmp, "wb") as f:  # a file object, so numpy adds no ".npz"
            np.savez(f, **arrays)
    atomic_write(path, w)


def _read_npz(path):
    # np.load would try to unpickle a non-zip file and complain about pickles.
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not an .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path}: cannot read it as .npz ({e})") from None


def load_qmodel_npz(path: str, arrays=None):
    a = _read_npz(path) if arrays is None else arrays
    if "format" not in a or str(a["format"]) != QFORMAT:
        raise ValueError(f"{path}: not a quantized microlearn model (.qmodel.npz)")
    if "tflite" not in a or a["tflite"].dtype != np.uint8:
        raise ValueError(f"{path}: the 'tflite' entry is missing or not bytes")
    qm = qmodel_from_tflite(a["tflite"].tobytes(), path)
    try:
        meta = json.loads(str(a.get("meta", "{}")))
        qm.class_names = [str(c) for c in meta.get("class_names", [])]
    except (json.JSONDecodeError, AttributeError, TypeError) as e:
        raise ValueError(f"{path}: bad metadata ({e})") from None
    if ("mean" in a) != ("std" in a):
        raise ValueError(f"{path}: has only one of mean/std")
    if "mean" in a:
        mean, std = a["mean"].astype(np.float32), a["std"].astype(np.float32)
        for name, v in (("mean", mean), ("std", std)):
            try:
                np.broadcast_shapes(v.shape, tuple(qm.input_shape))
            except ValueError:
                raise ValueError(f"{path}: {name} shape {v.shape} does not fit the model input "
                                 f"{tuple(qm.input_shape)}") from None
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise ValueError(f"{path}: mean/std must be finite and std > 0")
        qm.mean, qm.std = mean, std
    n_out = int(np.prod(qm.layers[-1].out_shape))
    if qm.class_names and len(qm.class_names) != n_out:
        raise ValueError(f"{path}: {len(qm.class_names)} class names but {n_out} outputs")
    return qm


def load_any(path: str):
    """("float", nn.Sequential) or ("int8", QModel) from a model file of any kind."""
    if not os.path.isfile(path):
        raise ValueError(f"no such model file: {path}")
    if path.endswith(".tflite"):
        with open(path, "rb") as f:
            return "int8", qmodel_from_tflite(f.read(), path)
    if path.endswith(".mlm"):
        from . import mlm_import
        return "int8", mlm_import.read_file(path)
    a = _read_npz(path)
    fmt = str(a.get("format", ""))
    if fmt == QFORMAT:
        return "int8", load_qmodel_npz(path, a)
    if fmt == FLOAT_FORMAT:
        return "float", nn.load_model(path)
    raise ValueError(f"{path}: unknown model file (format entry {fmt!r}); expected a float "
                     f"model .npz, a .qmodel.npz, a .tflite or an .mlm")


def save_float(model, path: str) -> None:
    atomic_write(path, lambda tmp: nn.save_model(model, tmp))
