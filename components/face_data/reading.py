"""Reads face and pair records back from TFRecord files, naming the file and record of any problem.

Example:
    >>> for source, record in read_face_records(glob.glob("out/faces-*.tfrecord")):
    ...     print(source, record.label)          # "out/faces-00000-of-00001.tfrecord record 0" 7
"""

from typing import Iterable, Iterator, Tuple

import tensorflow as tf

from components.face_data import records


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
            raise records.RecordError(f"{path} record {index}: truncated or corrupted TFRecord file "
                                      f"({error.message.splitlines()[0]})") from error
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
