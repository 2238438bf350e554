"""The evaluator's record key depends on a record's content, not on the order its writer put the
features in: ImportExampleGen writes the same record with other bytes from run to run, and the
pairs drawn from the eval split (sorted by key) must be the same in every run."""

import tensorflow as tf

from components.embedding_evaluator.embedding import record_key


def _features(**values) -> bytes:
    example = tf.train.Example()
    for name, value in values.items():
        feature = example.features.feature[name]
        if isinstance(value, int):
            feature.int64_list.value.append(value)
        else:
            feature.bytes_list.value.append(value)
    return example.features.SerializeToString()


def _example(features: bytes) -> bytes:
    """A serialized Example around serialized Features (field 1, length-delimited)."""
    return b"\x0a" + _varint(len(features)) + features


def _varint(number: int) -> bytes:
    out = b""
    while number >= 0x80:
        out += bytes([number & 0x7F | 0x80])
        number >>= 7
    return out + bytes([number])


def test_same_record_in_another_feature_order_gets_the_same_key():
    image, label = _features(image=b"\x89PNG face"), _features(label=7)
    # Concatenated Features messages merge: the same map, its entries on the wire in either order.
    image_first, label_first = _example(image + label), _example(label + image)
    assert image_first != label_first
    assert tf.train.Example.FromString(image_first) == tf.train.Example.FromString(label_first)
    assert record_key(image_first) == record_key(label_first)


def test_records_that_differ_get_different_keys():
    one = _example(_features(image=b"\x89PNG face", label=7))
    other = _example(_features(image=b"\x89PNG face", label=8))
    assert record_key(one) != record_key(other)
