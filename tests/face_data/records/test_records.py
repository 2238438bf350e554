"""The face and pair record contract: round trips and the errors bad records raise."""

import numpy as np
import pytest
import tensorflow as tf

from face_data.records.contract import (FaceFeatures, PairFeatures, RecordError, face_feature_spec,
                                          make_face_example, make_pair_example, normalize_label,
                                          pair_feature_spec, parse_face_example, parse_pair_example)

PNG_BYTES = b"\x89PNG\r\n\x1a\nnot-really-decoded-here"


@pytest.mark.parametrize("label, stored", [(7, 7), (np.int64(-3), -3), ("Ada", b"Ada"), (b"s1", b"s1")])
def test_face_record_round_trip(label, stored):
    record = parse_face_example(make_face_example(PNG_BYTES, label).SerializeToString())
    assert record.image == PNG_BYTES and record.label == stored


def test_feature_names_are_configurable_and_parse_with_tf():
    features = FaceFeatures(image="jpeg", label="person")
    serialized = make_face_example(PNG_BYTES, 5, features).SerializeToString()
    assert set(tf.train.Example.FromString(serialized).features.feature) == {"jpeg", "person"}
    parsed = tf.io.parse_example([serialized], face_feature_spec(features))
    assert parsed["jpeg"].numpy().tolist() == [PNG_BYTES] and parsed["person"].numpy().tolist() == [5]


def test_pair_record_round_trip_with_and_without_labels():
    with_labels = make_pair_example(b"a", b"b", is_same=True, label_a=1, label_b="x").SerializeToString()
    record = parse_pair_example(with_labels)
    assert (record.image_a, record.image_b, record.is_same, record.label_a, record.label_b) == (b"a", b"b", True, 1, b"x")
    without = parse_pair_example(make_pair_example(b"a", b"b", is_same=0).SerializeToString())
    assert without.is_same is False and without.label_a is None and without.label_b is None
    parsed = tf.io.parse_example([with_labels], pair_feature_spec(PairFeatures()))
    assert parsed["is_same"].numpy().tolist() == [1]


@pytest.mark.parametrize("label, expected", [
    ("", "non-empty identity label"), (b"", "non-empty identity label"), (None, "got None"),
    (True, "got True"), (2.5, "got float"), (2**63, "fits in int64"),
])
def test_bad_labels_are_refused(label, expected):
    with pytest.raises(RecordError, match=expected):
        normalize_label(label, "s1/1.pgm")


def test_missing_features_name_the_source_and_the_feature():
    pair = make_pair_example(b"a", b"b", is_same=1).SerializeToString()
    with pytest.raises(RecordError, match=r"^faces-0\.tfrecord record 3: feature 'image' is missing"):
        parse_face_example(pair, source="faces-0.tfrecord record 3")
    no_label = tf.train.Example()
    no_label.features.feature["image"].bytes_list.value.append(PNG_BYTES)
    with pytest.raises(RecordError, match="feature 'label' is missing"):
        parse_face_example(no_label.SerializeToString())
    empty_label = make_face_example(PNG_BYTES, b"x")
    empty_label.features.feature["label"].bytes_list.value[0] = b""
    with pytest.raises(RecordError, match="feature 'label'.*non-empty"):
        parse_face_example(empty_label.SerializeToString())


def test_garbage_and_bad_flags_are_refused():
    with pytest.raises(RecordError, match="not a serialized tf.train.Example"):
        parse_face_example(b"\xff\xff\xff", source="x record 0")
    with pytest.raises(RecordError, match="is_same to be a bool or 0/1, got 2"):
        make_pair_example(b"a", b"b", is_same=2)
    with pytest.raises(RecordError, match="non-empty encoded image bytes"):
        make_face_example(b"", 1)
