"""Sharded TFRecord output that is never seen half-written.

Shards are named `<prefix>-00000-of-00004.tfrecord` (they match the pipeline's `*.tfrecord*`).
Each is written under a hidden temporary name (`.<prefix>-00000-of-00004.partial`, which matches
no `*.tfrecord*` pattern) and renamed once every shard is complete; if writing fails or is
interrupted the temporaries are deleted, so the folder keeps exactly what it held before.

Example:
    >>> with ShardedRecordWriter("out/faces", prefix="faces", num_shards=2) as writer:
    ...     for example in examples:
    ...         writer.write(example.SerializeToString())
    >>> writer.paths
    ['out/faces/faces-00000-of-00002.tfrecord', 'out/faces/faces-00001-of-00002.tfrecord']
"""

import glob
import math
import os
import re
from typing import List

import tensorflow as tf

RECORDS_PER_SHARD = 5000
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def default_num_shards(num_records: int) -> int:
    """One shard per `RECORDS_PER_SHARD` records, at least one: `default_num_shards(12000) == 3`."""
    return max(1, math.ceil(num_records / RECORDS_PER_SHARD))


def shard_name(prefix: str, index: int, num_shards: int) -> str:
    """`shard_name("faces", 0, 4) == "faces-00000-of-00004.tfrecord"`."""
    return f"{prefix}-{index:05d}-of-{num_shards:05d}.tfrecord"


def check_prefix(prefix: str) -> str:
    """Returns `prefix` if it is a plain file-name prefix; a path (`../x`, `a/b`) is refused."""
    if not isinstance(prefix, str) or not _PREFIX.match(prefix) or ".." in prefix:
        raise ValueError(f"expected a shard prefix of letters, digits, '_', '-' or '.' that is not a path, "
                         f"got {prefix!r}")
    return prefix


def existing_shards(output_dir: str, prefix: str) -> List[str]:
    """Shard files of `prefix` already in `output_dir`, sorted."""
    pattern = os.path.join(glob.escape(output_dir), f"{glob.escape(prefix)}-*-of-*.tfrecord")
    return sorted(glob.glob(pattern))


class ShardedRecordWriter:
    """Writes serialized records round-robin into `num_shards` TFRecord shards, committed atomically.

    Record i goes to shard i % num_shards, so the output depends only on the record order. Shards
    of the same prefix already in `output_dir` are refused unless `overwrite=True`; then they are
    replaced only once the new shards are complete.
    """

    def __init__(self, output_dir: str, prefix: str, num_shards: int, overwrite: bool = False):
        if not isinstance(num_shards, int) or num_shards < 1:
            raise ValueError(f"expected num_shards >= 1, got {num_shards!r}")
        self.output_dir = os.fspath(output_dir)
        self.prefix = check_prefix(prefix)
        self.num_shards = num_shards
        self.paths = [os.path.join(self.output_dir, shard_name(prefix, i, num_shards)) for i in range(num_shards)]
        self.counts = [0] * num_shards
        self.written = 0
        self._stale = existing_shards(self.output_dir, prefix) if os.path.isdir(self.output_dir) else []
        if self._stale and not overwrite:
            raise FileExistsError(f"{self.output_dir} already holds {len(self._stale)} shard(s) of prefix "
                                  f"{prefix!r} (e.g. {os.path.basename(self._stale[0])}); expected an empty "
                                  "destination, or pass overwrite=True (--overwrite)")
        self._temp_paths = [os.path.join(self.output_dir, f".{os.path.basename(p)[:-len('.tfrecord')]}.partial")
                            for p in self.paths]
        self._writers = None

    def __enter__(self) -> "ShardedRecordWriter":
        os.makedirs(self.output_dir, exist_ok=True)
        self._writers = [tf.io.TFRecordWriter(path) for path in self._temp_paths]
        return self

    def write(self, serialized: bytes) -> None:
        index = self.written % self.num_shards
        self._writers[index].write(serialized)
        self.counts[index] += 1
        self.written += 1

    def __exit__(self, exc_type, exc, traceback) -> None:
        for writer in self._writers:
            writer.close()
        if exc_type is not None:
            for path in self._temp_paths:
                if os.path.exists(path):
                    os.remove(path)
            return
        for temp, final in zip(self._temp_paths, self.paths):
            os.replace(temp, final)
        for path in set(self._stale) - set(self.paths):
            os.remove(path)
