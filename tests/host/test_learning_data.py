"""Data for on-device learning: the watch data's arms, leave-one-subject-out splits, the
order a user labels a stream in, and keeping a subset of a dataset's classes."""
import collections

import numpy as np
import pytest

from microlearn_host.data import load, loso, watch
from microlearn_host.data.dataset import keep_classes, package_file, parse_classes


def test_watch_each_exercise_once_per_arm():
    recs, y, subj, names, _, side = watch.read_file(
        package_file("seglearn", "data", "watch_dataset.npy"), sides=True)
    assert len(recs) == 140 and len(set(subj.tolist())) == 10 and len(names) == 7
    counts = collections.Counter(zip(subj.tolist(), y.tolist(), side.tolist()))
    assert len(counts) == 10 * 7 * 2 and set(counts.values()) == {1}


@pytest.mark.parametrize("subject", [3, 10])
def test_base_dataset_holds_the_subject_out(subject):
    ds = loso.base_dataset(subject)
    assert subject not in set(ds.subjects_train.tolist()) | set(ds.subjects_val.tolist())
    assert set(ds.subjects_test.tolist()) == {subject}
    assert len(set(ds.subjects_val.tolist())) == loso.N_VAL_SUBJECTS
    assert not set(ds.subjects_train.tolist()) & set(ds.subjects_val.tolist())
    assert len(set(ds.subjects_train.tolist())) == 10 - 1 - loso.N_VAL_SUBJECTS
    # validation subjects do not depend on the base seed (seeds only change training)
    assert np.array_equal(loso.base_dataset(subject).extra["val_subject_ids"],
                          ds.extra["val_subject_ids"])


@pytest.mark.parametrize("subject", loso.subjects())
def test_same_arm_stream_and_test_never_overlap(subject):
    u = loso.user_data(subject, "same-arm")
    recs = loso._data()[0]
    assert len(u.y_stream) and len(u.y_test)
    for r in np.unique(np.concatenate([u.rec_stream, u.rec_test])):
        cut = len(recs[r]) // 2
        s_end = u.start_stream[u.rec_stream == r] + 100
        t_start = u.start_test[u.rec_test == r]
        assert len(s_end) and len(t_start), f"recording {r} has no stream or no test window"
        # every stream window ends at or before the cut, every test window starts at or after
        assert s_end.max() <= cut <= t_start.min(), (r, s_end.max(), cut, t_start.min())
        # and the windows are the recording's own samples
        i = np.flatnonzero(u.rec_stream == r)[-1]
        st = u.start_stream[i]
        assert np.array_equal(u.x_stream[i, :, 0], recs[r][st:st + 100])
    assert set(u.y_stream.tolist()) == set(u.y_test.tolist()) == set(range(7))


@pytest.mark.parametrize("arm", [0, 1])
def test_other_arm_stream_is_one_recording_per_exercise(arm):
    u = loso.user_data(4, "other-arm", stream_arm=arm)
    side = loso._data()[5]
    assert set(side[u.rec_stream].tolist()) == {arm} and set(side[u.rec_test].tolist()) == {1 - arm}
    for y, rec in ((u.y_stream, u.rec_stream), (u.y_test, u.rec_test)):
        per_class = {c: set(rec[y == c].tolist()) for c in range(7)}
        assert all(len(v) == 1 for v in per_class.values()), per_class
    assert not set(u.rec_stream.tolist()) & set(u.rec_test.tolist())


def test_bad_subject_and_split():
    with pytest.raises(ValueError, match="no subject 11"):
        loso.user_data(11, "same-arm")
    with pytest.raises(ValueError, match="unknown split 'left'"):
        loso.user_data(3, "left")
    with pytest.raises(ValueError, match="no subject 0"):
        loso.base_dataset(0)


def test_stream_order_gives_k_labels_per_class_after_k_rounds():
    y = np.array([0] * 5 + [1] * 3 + [2] * 4)
    order = loso.stream_order(y, seed=1)
    assert sorted(order.tolist()) == list(range(len(y)))
    for k in range(1, 4):
        assert collections.Counter(y[order[:3 * k]].tolist()) == {0: k, 1: k, 2: k}
    assert not np.array_equal(order, loso.stream_order(y, seed=2))
    assert np.array_equal(order, loso.stream_order(y, seed=1))


def test_parse_classes():
    names = [str(d) for d in range(10)]
    assert parse_classes("0-7", names) == list(range(8))
    assert parse_classes("9, 0-2,5", names) == [0, 1, 2, 5, 9]
    assert parse_classes("ABD,ROW", watch_names()) == [1, 6]
    for spec, match in (("7-0", "backwards"), ("0-10", "outside 0..9"), ("1,1", "twice"),
                        ("a-b", "neither"), ("", "empty"), ("4", "keeps 1")):
        with pytest.raises(ValueError, match=match):
            parse_classes(spec, names)


def watch_names():
    return ("PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW")


def test_keep_classes_filters_every_split():
    ds = load("digits")
    sub = keep_classes(ds, [0, 3, 9])
    assert sub.class_names == ("0", "3", "9")
    for split in ("train", "val", "test"):
        y, ys = getattr(ds, f"y_{split}"), getattr(sub, f"y_{split}")
        keep = np.isin(y, [0, 3, 9])
        assert np.array_equal(np.array([0, 3, 9])[ys], y[keep])
        assert np.array_equal(getattr(sub, f"x_{split}"), getattr(ds, f"x_{split}")[keep])
    assert np.array_equal(sub.mean, ds.mean)
    w = keep_classes(load("watch"), [1, 6])
    assert len(w.subjects_test) == len(w.y_test) == len(w.extra["recording_test"])
