"""Reads face and pair records back from TFRecord files, naming the file and record of any problem.

`check_face_record` and `check_pair_record` check one record the way the pipeline will read it and
decode its images; the pipeline's ImportExampleGen runs them on every record in its Beam job
(components/checked_example_gen/), so that a bad record is refused by name (Transform would fail
on it with a Beam traceback that names neither the file nor the record). An
image that displays rotated or mirrored by its EXIF orientation is refused too: Transform decodes
the pixels as stored, so the model would learn that face sideways.

Example:
    >>> for source, record in read_face_records(glob.glob("out/faces-*.tfrecord")):
    ...     print(source, record.label)          # "out/faces-00000-of-00001.tfrecord record 0" 7
    >>> check_face_record("a.tfrecord record 0", serialized).label
    7
"""

import re
from typing import Iterable, Iterator, List, Tuple

import tensorflow as tf

from face_data.records import contract
from face_data.conversion.images import MAX_PIXELS, UPRIGHT, CheckedImage, ImageRejected, check_image, check_pair_image

# Problems listed in a refusal; the rest are counted.
PROBLEMS_SHOWN = 10
# What eager TF wraps around a reader's error: "{{function_node ...}} <the error> [Op:IteratorGetNext] name: ".
_TF_OP_NOISE = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\].*$")


def read_serialized(paths: Iterable[str]) -> Iterator[Tuple[str, bytes]]:
    """Yields ("<path> record <n>", serialized record) for every record of every file, in order.

    A truncated or corrupted file raises RecordError naming the file and the first unreadable record;
    the records before it have been yielded already.
    """
    for path in paths:
        index = 0
        try:
            for serialized in tf.data.TFRecordDataset(path).as_numpy_iterator():
                yield f"{path} record {index}", serialized
                index += 1
        except (tf.errors.DataLossError, tf.errors.OutOfRangeError) as error:
            detail = _TF_OP_NOISE.sub("", error.message.splitlines()[0])
            raise contract.RecordError(f"{path} record {index}: truncated or corrupted TFRecord file "
                                      f"({detail})") from error
        except tf.errors.NotFoundError as error:
            raise contract.RecordError(f"{path}: no such TFRecord file") from error


def read_face_records(paths: Iterable[str], features: contract.FaceFeatures = contract.FaceFeatures()
                      ) -> Iterator[Tuple[str, contract.FaceRecord]]:
    """Yields (source, FaceRecord) for every face record of `paths`."""
    for source, serialized in read_serialized(paths):
        yield source, contract.parse_face_example(serialized, features, source)


def read_pair_records(paths: Iterable[str], features: contract.PairFeatures = contract.PairFeatures()
                      ) -> Iterator[Tuple[str, contract.PairRecord]]:
    """Yields (source, PairRecord) for every verification-pair record of `paths`."""
    for source, serialized in read_serialized(paths):
        yield source, contract.parse_pair_example(serialized, features, source)


def _refuse_exif_rotated(checked: CheckedImage, which: str = "") -> None:
    if checked.exif_orientation != UPRIGHT:
        raise ImageRejected("EXIF-rotated image", f"{which}its EXIF orientation {checked.exif_orientation} displays "
                            "it rotated or mirrored, but the pipeline decodes the pixels as stored and would learn "
                            "the face sideways; convert the images with the face_data converters, which turn "
                            "them upright")


def check_face_record(source: str, serialized: bytes, features: contract.FaceFeatures = contract.FaceFeatures(),
                      max_pixels: int = MAX_PIXELS) -> contract.FaceRecord:
    """One face record as the pipeline reads it: the contract, and an upright image that decodes
    within `max_pixels`.

    Raises RecordError (naming `source`) or ImageRejected. Whether every record of a set has a label
    of one type is the caller's to check: it needs the whole set.
    """
    record = contract.parse_face_example(serialized, features, source)
    _refuse_exif_rotated(check_image(record.image, max_pixels))
    return record


def check_pair_record(source: str, serialized: bytes, features: contract.PairFeatures = contract.PairFeatures(),
                      max_pixels: int = MAX_PIXELS) -> contract.PairRecord:
    """One verification-pair record, both images decoded; like `check_face_record`."""
    record = contract.parse_pair_example(serialized, features, source)
    _refuse_exif_rotated(check_pair_image(record.image_a, "a", max_pixels), "image a: ")
    _refuse_exif_rotated(check_pair_image(record.image_b, "b", max_pixels), "image b: ")
    return record


def problems_message(problems: int, shown: List[str], kind: str) -> str:
    """One refusal for a set of records: the first problems (`PROBLEMS_SHOWN`), and a count of the rest."""
    more = f"\n  ... and {problems - len(shown)} more" if problems > len(shown) else ""
    return f"{problems} unusable {kind} record(s) or file(s):\n  " + "\n  ".join(shown) + more
