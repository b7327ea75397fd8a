"""Save / load a Sequential model as .npz: architecture JSON + weights + normalisation.

Keys: "format" (FORMAT), "architecture" (JSON: version, input_shape, seed,
layers as [{"kind", "config"}]), "layer<i>.<name>" weights in TFLite layout,
"mean"/"std" when the model normalises its input, and "class_names" (JSON list) when
it was trained on a subset of a dataset's classes (`microlearn train --classes`). Only plain arrays are
stored (no pickle), so loading an untrusted file cannot run code.
"""
from __future__ import annotations

import json
import zipfile

import numpy as np

from .conv import Conv2D
from .dense import Dense
from .depthwise import DepthwiseConv2D
from .model import Sequential
from .pooling import AvgPool2D, GlobalAvgPool, MaxPool2D
from .simple import Dropout, Flatten, ReLU, ReLU6

FORMAT = "microlearn.nn.Sequential"
VERSION = 1
LAYER_KINDS = {cls.kind: cls for cls in (Dense, Conv2D, DepthwiseConv2D, AvgPool2D, MaxPool2D,
                                         GlobalAvgPool, Flatten, ReLU, ReLU6, Dropout)}


def save_model(model: Sequential, path) -> None:
    arch = {"version": VERSION, "input_shape": list(model.input_shape), "seed": model.seed,
            "layers": [{"kind": l.kind, "config": l.get_config()} for l in model.layers]}
    arrays = {"format": np.array(FORMAT), "architecture": np.array(json.dumps(arch))}
    for i, layer in enumerate(model.layers):
        for name, w in layer.weights().items():
            arrays[f"layer{i}.{name}"] = w.astype(np.float32)
    if model.mean is not None:
        arrays["mean"], arrays["std"] = model.mean, model.std
    if getattr(model, "class_names", None) is not None:
        arrays["class_names"] = np.array(json.dumps([str(c) for c in model.class_names]))
    with open(path, "wb") as f:  # file object: numpy would otherwise append ".npz"
        np.savez(f, **arrays)


def _fail(path, problem: str):
    raise ValueError(f"{path}: not a usable microlearn model file: {problem}")


def load_model(path) -> Sequential:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        _fail(path, f"cannot read it as .npz ({e})")
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        _fail(path, f"missing or wrong 'format' entry (expected {FORMAT!r})")
    try:
        arch = json.loads(str(arrays["architecture"]))
        version, input_shape, specs = arch["version"], arch["input_shape"], arch["layers"]
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        _fail(path, f"bad architecture JSON ({e!r})")
    if version != VERSION:
        _fail(path, f"format version {version}, this code reads {VERSION}")
    layers = []
    for i, spec in enumerate(specs):
        cls = LAYER_KINDS.get(spec.get("kind"))
        if cls is None:
            _fail(path, f"layer {i} has unknown kind {spec.get('kind')!r}; "
                        f"known: {sorted(LAYER_KINDS)}")
        try:
            layers.append(cls(**spec.get("config", {})))
        except (TypeError, ValueError) as e:
            _fail(path, f"layer {i} ({spec['kind']}) has a bad config: {e}")
    try:
        model = Sequential(layers, input_shape, seed=arch.get("seed", 0),
                           mean=arrays.get("mean"), std=arrays.get("std"))
    except ValueError as e:
        _fail(path, f"architecture does not build: {e}")
    expected = set()
    for i, layer in enumerate(model.layers):
        for name, p in layer.params.items():
            key = f"layer{i}.{name}"
            expected.add(key)
            if key not in arrays:
                _fail(path, f"weight {key} missing")
            w = arrays[key]
            if w.shape != p.shape:
                _fail(path, f"weight {key} has shape {w.shape}, architecture needs {p.shape}")
            if not np.isfinite(w).all():
                _fail(path, f"weight {key} contains NaN or inf")
            p[...] = w
    if "class_names" in arrays:
        try:
            names = json.loads(str(arrays["class_names"]))
        except json.JSONDecodeError as e:
            _fail(path, f"bad class_names JSON ({e})")
        n_out = int(np.prod(model.output_shape))
        if not isinstance(names, list) or len(names) != n_out:
            _fail(path, f"class_names must list {n_out} names (one per output)")
        model.class_names = [str(c) for c in names]
    extra = {k for k in arrays if k.startswith("layer")} - expected
    if extra:
        _fail(path, f"weights {sorted(extra)} do not belong to any layer")
    return model
