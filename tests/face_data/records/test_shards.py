"""Sharded output: round-robin placement, refusal to mix with old shards, and no half shard on failure."""

import os

import pytest

from face_data.records.reading import read_serialized
from face_data.records.shards import ShardedRecordWriter, check_prefix, default_num_shards


def test_records_go_round_robin_and_read_back_in_order(tmp_path):
    with ShardedRecordWriter(tmp_path, "faces", num_shards=3) as writer:
        for index in range(7):
            writer.write(b"record %d" % index)
    assert sorted(os.listdir(tmp_path)) == [f"faces-0000{i}-of-00003.tfrecord" for i in range(3)]
    assert writer.counts == [3, 2, 2] and writer.written == 7
    assert [record for _, record in read_serialized(writer.paths)] == [
        b"record 0", b"record 3", b"record 6", b"record 1", b"record 4", b"record 2", b"record 5"]


def test_a_failure_leaves_the_folder_as_it_was(tmp_path):
    with ShardedRecordWriter(tmp_path, "faces", num_shards=2) as writer:
        writer.write(b"old")
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    with pytest.raises(RuntimeError, match="interrupted"):
        with ShardedRecordWriter(tmp_path, "faces", num_shards=3, overwrite=True) as writer:
            writer.write(b"new")
            raise RuntimeError("interrupted")
    assert {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)} == before


def test_old_shards_are_refused_or_replaced_when_complete(tmp_path):
    with ShardedRecordWriter(tmp_path, "faces", num_shards=3) as writer:
        writer.write(b"old")
    with pytest.raises(FileExistsError, match=r"already holds 3 shard\(s\) of prefix 'faces'.*overwrite"):
        ShardedRecordWriter(tmp_path, "faces", num_shards=1)
    with ShardedRecordWriter(tmp_path, "faces", num_shards=1, overwrite=True) as writer:
        writer.write(b"new")
    assert os.listdir(tmp_path) == ["faces-00000-of-00001.tfrecord"]
    with ShardedRecordWriter(tmp_path, "other", num_shards=1) as writer:  # another prefix is no conflict
        writer.write(b"x")
    assert len(os.listdir(tmp_path)) == 2


@pytest.mark.parametrize("prefix", ["../faces", "a/b", "", ".hidden", "..", "x..y"])
def test_prefixes_that_are_paths_are_refused(prefix):
    with pytest.raises(ValueError, match="not a path"):
        check_prefix(prefix)


def test_default_shard_count():
    assert [default_num_shards(n) for n in (0, 1, 5000, 5001, 12000)] == [1, 1, 1, 2, 3]
