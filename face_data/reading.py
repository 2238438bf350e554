"""Reads face and pair records back from TFRecord files, naming the file and record of any problem.

`check_face_files` and `check_pair_files` read every record the way the pipeline will and decode
every image, so that a bad record is refused by name before any component runs (ImportExampleGen
and Transform fail on one with a Beam traceback that names neither the file nor the record). An
image that displays rotated or mirrored by its EXIF orientation is refused too: Transform decodes
the pixels as stored, so the model would learn that face sideways.

Example:
    >>> for source, record in read_face_records(glob.glob("out/faces-*.tfrecord")):
    ...     print(source, record.label)          # "out/faces-00000-of-00001.tfrecord record 0" 7
    >>> check_face_files(glob.glob("out/faces-*.tfrecord"))
    480
"""

import re
from typing import Callable, Iterable, Iterator, List, Tuple

import tensorflow as tf

from face_data import records
from face_data.images import MAX_PIXELS, UPRIGHT, CheckedImage, ImageRejected, check_image, check_pair_image

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
            raise records.RecordError(f"{path} record {index}: truncated or corrupted TFRecord file "
                                      f"({detail})") from error
        except tf.errors.NotFoundError as error:
            raise records.RecordError(f"{path}: no such TFRecord file") from error


def read_face_records(paths: Iterable[str], features: records.FaceFeatures = records.FaceFeatures()
                      ) -> Iterator[Tuple[str, records.FaceRecord]]:
    """Yields (source, FaceRecord) for every face record of `paths`."""
    for source, serialized in read_serialized(paths):
        yield source, records.parse_face_example(serialized, features, source)


def read_pair_records(paths: Iterable[str], features: records.PairFeatures = records.PairFeatures()
                      ) -> Iterator[Tuple[str, records.PairRecord]]:
    """Yields (source, PairRecord) for every verification-pair record of `paths`."""
    for source, serialized in read_serialized(paths):
        yield source, records.parse_pair_example(serialized, features, source)


def _refuse_exif_rotated(checked: CheckedImage, which: str = "") -> None:
    if checked.exif_orientation != UPRIGHT:
        raise ImageRejected("EXIF-rotated image", f"{which}its EXIF orientation {checked.exif_orientation} displays "
                            "it rotated or mirrored, but the pipeline decodes the pixels as stored and would learn "
                            "the face sideways; convert the images with the face_data converters, which turn "
                            "them upright")


def _check_files(paths: Iterable[str], check: Callable[[str, bytes], None], kind: str) -> int:
    """Runs `check(source, serialized)` on every record; returns the count or raises RecordError listing problems.

    A truncated file ends its own check, not the others', so one refusal lists every bad file.
    Only the first problems are kept (a wrong feature name makes every record one), the rest counted.
    """
    shown: List[str] = []
    problems = count = 0

    def problem(message: str) -> None:
        nonlocal problems
        problems += 1
        if len(shown) < PROBLEMS_SHOWN:
            shown.append(message)

    for path in paths:
        try:
            for source, serialized in read_serialized([path]):
                count += 1
                try:
                    check(source, serialized)
                except records.RecordError as error:
                    problem(str(error))
                except ImageRejected as error:
                    problem(f"{source}: {error}")
        except records.RecordError as error:
            problem(str(error))
    if problems:
        more = f"\n  ... and {problems - len(shown)} more" if problems > len(shown) else ""
        raise records.RecordError(f"{problems} unusable {kind} record(s) or file(s):\n  " + "\n  ".join(shown) + more)
    return count


def check_face_files(paths: Iterable[str], features: records.FaceFeatures = records.FaceFeatures(),
                     max_pixels: int = MAX_PIXELS) -> int:
    """Checks every face record of `paths`: contract, one label type throughout, an image that decodes.

    Returns the number of records; raises RecordError naming the file and record of each problem.
    """
    first_label = []  # (source, label) of the first record: the label type every other record must share

    def check(source: str, serialized: bytes) -> None:
        record = records.parse_face_example(serialized, features, source)
        if not first_label:
            first_label.append((source, record.label))
        first_source, label = first_label[0]
        if type(record.label) is not type(label):
            raise records.RecordError(f"{source}: label {record.label!r} is not of the type of {first_source}'s "
                                      f"label {label!r} (int64 or bytes); a file set holds one type")
        _refuse_exif_rotated(check_image(record.image, max_pixels))

    return _check_files(paths, check, "face")


def check_pair_files(paths: Iterable[str], features: records.PairFeatures = records.PairFeatures(),
                     max_pixels: int = MAX_PIXELS) -> int:
    """Checks every verification-pair record of `paths` and decodes both images; like `check_face_files`."""
    def check(source: str, serialized: bytes) -> None:
        record = records.parse_pair_example(serialized, features, source)
        _refuse_exif_rotated(check_pair_image(record.image_a, "a", max_pixels), "image a: ")
        _refuse_exif_rotated(check_pair_image(record.image_b, "b", max_pixels), "image b: ")

    return _check_files(paths, check, "pair")
