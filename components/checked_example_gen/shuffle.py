"""A global shuffle of a split's records, the same for the same records and seed on any runner.

Converters write records in identity order (and so do other tools, insightface's `.rec` files
among them); a Trainer's shuffle buffer only mixes neighbours, so its batches would hold a few
people each. ExampleGen writes each face split in a random order instead, decided by the records
themselves: each record's key is a seeded hash of its canonical bytes
(`Example.SerializeToString(deterministic=True)`), the key picks its file, and each file holds its
records sorted by key. Nothing depends on how the runner bundles, orders or parallelises the
records, so in-memory, multi-processing and Dataflow runs write the same files, and the work
(a GroupByKey of one group per file) scales out as the records do.

Example:
    >>> files = shuffled_files([b"a", b"b", b"c"], seed=0, num_files=1)
    >>> sorted(files[0]) == [b"a", b"b", b"c"]
    True
"""

import hashlib
import math
import os
from typing import Dict, Iterable, List, Tuple

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen import write_split
from tfx.dsl.io import fileio

# ~100 MB of 112x112 JPEG faces per file (TensorFlow's advice for TFRecord files). Below that, up
# to MIN_FILES files (at least MIN_RECORDS_PER_FILE records each) so that the Trainer's workers
# each have files to read (tfx_module/trainer/inputs.py shards by file).
RECORDS_PER_FILE = 10_000
MIN_FILES = 16
MIN_RECORDS_PER_FILE = 100


def files_for(count: int) -> int:
    """How many files a split of `count` records is written to: `files_for(5_800_000) == 580`."""
    return max(1, math.ceil(count / RECORDS_PER_FILE), min(MIN_FILES, count // MIN_RECORDS_PER_FILE))


def shuffle_key(record: bytes, seed: int) -> bytes:
    """The record's place in the shuffled order: SHA-256 of the seed and the record's canonical bytes."""
    return hashlib.sha256(seed.to_bytes(8, "big", signed=True) + record).digest()


def file_index(key: bytes, num_files: int) -> int:
    """The file a record of shuffle key `key` goes to."""
    return int.from_bytes(key[:8], "big") % num_files


def canonical(record) -> bytes:
    """A tf.Example's canonical serialization (map order fixed); bytes are taken as they are."""
    return record if isinstance(record, bytes) else record.SerializeToString(deterministic=True)


def shuffled_files(records: Iterable[bytes], seed: int, num_files: int) -> Dict[int, List[bytes]]:
    """The shuffle without Beam (for benchmarks and tests): {file index: its records in order}."""
    files: Dict[int, List[Tuple[bytes, bytes]]] = {}
    for record in records:
        key = shuffle_key(record, seed)
        files.setdefault(file_index(key, num_files), []).append((key, record))
    return {index: [record for _, record in sorted(keyed)] for index, keyed in files.items()}


def file_name(index: int, num_files: int) -> str:
    """`data_tfrecord-00003-of-00016.gz`: TFX's name for ExampleGen's files, numbered."""
    return f"{write_split.DEFAULT_TF_RECORD_FILE_NAME}-{index:05d}-of-{num_files:05d}.gz"


class WriteFile(beam.DoFn):
    """(file index, [(key, record)...]) -> the file, its records sorted by key, written whole.

    Written under a temporary name and renamed: a retried bundle replaces the file, never appends.
    """

    def __init__(self, split_dir: str):
        self._split_dir = split_dir

    def process(self, element, num_files):
        index, keyed = element
        path = os.path.join(self._split_dir, file_name(index, num_files))
        partial = f"{path}.partial"
        with tf.io.TFRecordWriter(partial, options="GZIP") as writer:
            for _, record in sorted(keyed):
                writer.write(record)
        fileio.rename(partial, path, overwrite=True)
        yield path


@beam.ptransform_fn
def WriteShuffled(records: beam.PCollection, split_dir: str, seed: int):  # noqa: N802 (Beam's style)
    """Writes the records (tf.Examples or bytes) to `files_for(count)` gzipped TFRecord files in
    `split_dir`, in the order of their `shuffle_key`s; the paths written."""
    fileio.makedirs(split_dir)
    keyed = (records
             | "Canonical" >> beam.Map(canonical)
             | "Key" >> beam.Map(lambda record: (shuffle_key(record, seed), record)))
    num_files = beam.pvalue.AsSingleton(
        keyed | "Count" >> beam.combiners.Count.Globally() | "Files" >> beam.Map(files_for))
    return (keyed
            | "ToFile" >> beam.Map(lambda item, n: (file_index(item[0], n), item), num_files)
            | "GroupByFile" >> beam.GroupByKey()
            | "Write" >> beam.ParDo(WriteFile(split_dir), num_files))
