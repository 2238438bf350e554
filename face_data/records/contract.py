"""The face TFRecord contract: what one face record and one verification-pair record hold.

Every converter writes, and every consumer (ExampleGen, Transform, the evaluation) reads, these
`tf.train.Example` layouts. Feature names are configurable through `FaceFeatures` and
`PairFeatures` (face_data/records/features.py); the defaults are:

Face records, one per face image:

| feature   | type             | content                                                        |
|-----------|------------------|----------------------------------------------------------------|
| `image`   | bytes            | the encoded image file (PNG or JPEG), 8-bit grayscale or RGB   |
| `label`   | int64 or bytes   | the identity: an integer id, or a name as UTF-8 bytes          |
| `attribute/<name>` | bytes   | optional: the face's value of an attribute (e.g. `attribute/region`), |
|           |                  | UTF-8; empty when unknown. The evaluator reports rates per value (group) |

Verification-pair records, one per pair of face images:

| feature   | type             | content                                                        |
|-----------|------------------|----------------------------------------------------------------|
| `image_a` | bytes            | the first encoded image                                        |
| `image_b` | bytes            | the second encoded image                                       |
| `is_same` | int64            | 1 if both images show the same identity, 0 if not              |
| `label_a` | int64 or bytes   | optional: identity of `image_a` (absent when unknown)          |
| `label_b` | int64 or bytes   | optional: identity of `image_b` (absent when unknown)          |
| `fold`    | int64            | optional: the protocol's fold of the pair (LFW's `pairs.txt`)  |

Template-face records, one per face of a template set (IJB-B / IJB-C, `python -m face_data ijb`):

| feature          | type   | content                                                          |
|------------------|--------|------------------------------------------------------------------|
| `image`          | bytes  | the encoded aligned face                                         |
| `template`       | int64  | the template (one subject's set of photos and frames) it is in   |
| `media`          | int64  | the photo or video it comes from                                 |
| `detector_score` | float  | the face detector's score, which may weigh it in its template    |
| `image_name`     | bytes  | the released crop's file name                                    |

Within one file set a label is either always int64 or always bytes; a label is never empty, and
every record carries the same attribute features (the converters' `--attributes CSV`).

Example:
    >>> example = make_face_example(png_bytes, label=7)
    >>> parse_face_example(example.SerializeToString())
    FaceRecord(image=b'\\x89PNG...', label=7)
    >>> pair = make_pair_example(png_a, png_b, is_same=True, label_a=7, label_b=7)
    >>> parse_pair_example(pair.SerializeToString()).is_same
    True
"""

import dataclasses
from typing import Mapping, Optional, Union

import numpy as np
import tensorflow as tf

from face_data.records.features import (  # the names, in a module without TensorFlow
    ATTRIBUTE_PREFIX, FaceFeatures, PairFeatures, TemplateFaceFeatures)

Label = Union[int, bytes]
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class RecordError(ValueError):
    """A record that does not follow the contract; the message names the file and the record."""


@dataclasses.dataclass(frozen=True)
class FaceRecord:
    """One parsed face record."""

    image: bytes
    label: Label
    attributes: Mapping[str, bytes] = dataclasses.field(default_factory=dict)  # name -> value, b"" if unknown


@dataclasses.dataclass(frozen=True)
class PairRecord:
    """One parsed verification-pair record; labels are None when the record has none."""

    image_a: bytes
    image_b: bytes
    is_same: bool
    label_a: Optional[Label] = None
    label_b: Optional[Label] = None
    fold: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class TemplateFaceRecord:
    """One parsed template-face record."""

    image: bytes
    template: int
    media: int
    detector_score: float
    image_name: bytes


def normalize_label(label, source: str = "label") -> Label:
    """Returns `label` as the int or bytes stored in a record; `source` names it in errors.

    Example:
        >>> normalize_label("Ada Lovelace"), normalize_label(np.int32(3))
        (b'Ada Lovelace', 3)
    """
    if isinstance(label, (bool, np.bool_)) or label is None:
        raise RecordError(f"{source}: expected an int or a non-empty name as identity label, got {label!r}")
    if isinstance(label, (int, np.integer)):
        value = int(label)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise RecordError(f"{source}: expected a label that fits in int64, got {value}")
        return value
    if isinstance(label, str):
        label = label.encode("utf-8")
    if isinstance(label, (bytes, bytearray)):
        if not label:
            raise RecordError(f"{source}: expected a non-empty identity label, got an empty one")
        return bytes(label)
    raise RecordError(f"{source}: expected an int, str or bytes identity label, got {type(label).__name__}")


def _bytes_feature(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64_feature(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _float_feature(value: float) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=[value]))


def _label_feature(label: Label) -> tf.train.Feature:
    return _int64_feature(label) if isinstance(label, int) else _bytes_feature(label)


def _image_bytes(image, source: str) -> bytes:
    if not isinstance(image, (bytes, bytearray)):
        raise RecordError(f"{source}: expected encoded image bytes, got {type(image).__name__}")
    if not image:
        raise RecordError(f"{source}: expected non-empty encoded image bytes, got 0 bytes")
    return bytes(image)


def make_face_example(image: bytes, label, features: FaceFeatures = FaceFeatures(),
                      source: str = "face record", attributes: Optional[Mapping[str, str]] = None) -> tf.train.Example:
    """Builds a face record from encoded image bytes, an identity label (int, str or bytes) and
    optional attributes ({name: value}, "" for unknown), each an `attribute/<name>` feature.

    Example:
        >>> make_face_example(open("s1/1.png", "rb").read(), "s1", attributes={"region": "north"})
        ...     .features.feature["attribute/region"]
        bytes_list { value: "north" }
    """
    feature = {
        features.image: _bytes_feature(_image_bytes(image, source)),
        features.label: _label_feature(normalize_label(label, source)),
    }
    for name, value in (attributes or {}).items():
        if not name or not isinstance(value, (str, bytes)):
            raise RecordError(f"{source}: expected attributes as non-empty names with text values, got {name!r}: "
                              f"{value!r}")
        feature[ATTRIBUTE_PREFIX + name] = _bytes_feature(value.encode("utf-8") if isinstance(value, str) else value)
    return tf.train.Example(features=tf.train.Features(feature=feature))


def make_pair_example(image_a: bytes, image_b: bytes, is_same: bool, label_a=None, label_b=None,
                      features: PairFeatures = PairFeatures(), source: str = "pair record",
                      fold: Optional[int] = None) -> tf.train.Example:
    """Builds a verification-pair record; labels and the fold are optional and written only when given.

    Example:
        >>> make_pair_example(png_a, png_b, is_same=False).features.feature["is_same"]
        int64_list { value: 0 }
    """
    if not isinstance(is_same, (bool, np.bool_)) and is_same not in (0, 1):
        raise RecordError(f"{source}: expected is_same to be a bool or 0/1, got {is_same!r}")
    feature = {
        features.image_a: _bytes_feature(_image_bytes(image_a, f"{source} image_a")),
        features.image_b: _bytes_feature(_image_bytes(image_b, f"{source} image_b")),
        features.is_same: _int64_feature(int(bool(is_same))),
    }
    for name, label in ((features.label_a, label_a), (features.label_b, label_b)):
        if label is not None:
            feature[name] = _label_feature(normalize_label(label, f"{source} {name}"))
    if fold is not None:
        feature[features.fold] = _int64_feature(int(fold))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def make_template_face_example(image: bytes, template: int, media: int, detector_score: float, image_name: bytes,
                               features: TemplateFaceFeatures = TemplateFaceFeatures(),
                               source: str = "template-face record") -> tf.train.Example:
    """Builds a template-face record.

    Example:
        >>> make_template_face_example(png, 17, 4, 0.98, b"123.jpg").features.feature["template"]
        int64_list { value: 17 }
    """
    if not np.isfinite(detector_score):
        raise RecordError(f"{source}: expected a finite detector score, got {detector_score}")
    return tf.train.Example(features=tf.train.Features(feature={
        features.image: _bytes_feature(_image_bytes(image, source)),
        features.template: _int64_feature(int(template)),
        features.media: _int64_feature(int(media)),
        features.detector_score: _float_feature(float(detector_score)),
        features.image_name: _bytes_feature(bytes(image_name)),
    }))


def _parse(serialized: bytes, source: str) -> tf.train.Example:
    try:
        return tf.train.Example.FromString(serialized)
    except Exception as error:  # protobuf raises its own DecodeError type
        raise RecordError(f"{source}: not a serialized tf.train.Example ({error})") from error


def _single_value(example: tf.train.Example, name: str, source: str, kinds, required: bool = True):
    feature_map = example.features.feature
    if name not in feature_map:
        if required:
            raise RecordError(f"{source}: feature {name!r} is missing (present: {sorted(feature_map)})")
        return None
    feature = feature_map[name]
    kind = feature.WhichOneof("kind")
    if kind not in kinds:
        raise RecordError(f"{source}: feature {name!r} should be {' or '.join(kinds)}, got {kind}")
    values = getattr(feature, kind).value
    if len(values) != 1:
        raise RecordError(f"{source}: feature {name!r} should hold exactly one value, got {len(values)}")
    return values[0]


def _parse_label(example, name, source, required=True) -> Optional[Label]:
    value = _single_value(example, name, source, ("int64_list", "bytes_list"), required)
    return None if value is None else normalize_label(value, f"{source} feature {name!r}")


def parse_face_example(serialized: bytes, features: FaceFeatures = FaceFeatures(),
                       source: str = "face record") -> FaceRecord:
    """Parses a serialized face record; `source` (e.g. "faces-00000.tfrecord record 12") names it in errors.

    Example:
        >>> parse_face_example(make_face_example(png, 3).SerializeToString()).label
        3
    """
    example = _parse(serialized, source)
    image = _single_value(example, features.image, source, ("bytes_list",))
    attributes = {name[len(ATTRIBUTE_PREFIX):]: _single_value(example, name, source, ("bytes_list",))
                  for name in example.features.feature if name.startswith(ATTRIBUTE_PREFIX)}
    return FaceRecord(image=_image_bytes(image, f"{source} feature {features.image!r}"),
                      label=_parse_label(example, features.label, source), attributes=attributes)


def parse_pair_example(serialized: bytes, features: PairFeatures = PairFeatures(),
                       source: str = "pair record") -> PairRecord:
    """Parses a serialized verification-pair record.

    Example:
        >>> parse_pair_example(make_pair_example(a, b, True).SerializeToString()).label_a is None
        True
    """
    example = _parse(serialized, source)
    is_same = _single_value(example, features.is_same, source, ("int64_list",))
    if is_same not in (0, 1):
        raise RecordError(f"{source}: feature {features.is_same!r} should be 0 or 1, got {is_same}")
    return PairRecord(
        image_a=_image_bytes(_single_value(example, features.image_a, source, ("bytes_list",)),
                             f"{source} feature {features.image_a!r}"),
        image_b=_image_bytes(_single_value(example, features.image_b, source, ("bytes_list",)),
                             f"{source} feature {features.image_b!r}"),
        is_same=bool(is_same),
        label_a=_parse_label(example, features.label_a, source, required=False),
        label_b=_parse_label(example, features.label_b, source, required=False),
        fold=_single_value(example, features.fold, source, ("int64_list",), required=False),
    )


def parse_template_face_example(serialized: bytes, features: TemplateFaceFeatures = TemplateFaceFeatures(),
                                source: str = "template-face record") -> TemplateFaceRecord:
    """Parses a serialized template-face record.

    Example:
        >>> parse_template_face_example(make_template_face_example(png, 17, 4, 0.98, b"1.jpg").SerializeToString()).media
        4
    """
    example = _parse(serialized, source)
    return TemplateFaceRecord(
        image=_image_bytes(_single_value(example, features.image, source, ("bytes_list",)),
                           f"{source} feature {features.image!r}"),
        template=_single_value(example, features.template, source, ("int64_list",)),
        media=_single_value(example, features.media, source, ("int64_list",)),
        detector_score=_single_value(example, features.detector_score, source, ("float_list",)),
        image_name=_single_value(example, features.image_name, source, ("bytes_list",)),
    )


def face_feature_spec(features: FaceFeatures = FaceFeatures(), label_dtype=tf.int64) -> dict:
    """The `tf.io.parse_example` spec of face records; `label_dtype` is tf.int64 or tf.string.

    Example:
        >>> parsed = tf.io.parse_example(serialized_batch, face_feature_spec())
        >>> images = tf.map_fn(lambda b: tf.io.decode_image(b, channels=3), parsed["image"], ...)
    """
    return {
        features.image: tf.io.FixedLenFeature([], tf.string),
        features.label: tf.io.FixedLenFeature([], label_dtype),
    }


def pair_feature_spec(features: PairFeatures = PairFeatures()) -> dict:
    """The `tf.io.parse_example` spec of pair records (labels left out: they are optional)."""
    return {
        features.image_a: tf.io.FixedLenFeature([], tf.string),
        features.image_b: tf.io.FixedLenFeature([], tf.string),
        features.is_same: tf.io.FixedLenFeature([], tf.int64),
    }
