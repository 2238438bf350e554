"""Identity-disjoint splits of face records, and the truncated input they refuse."""

import os

import pytest

from tests.face_data import face_fixtures as fx
from face_data.conversion.cli import main
from face_data.records.reading import read_face_records
from face_data.records.contract import RecordError, make_face_example
from face_data.records.shards import ShardedRecordWriter
from face_data.records.splits import assign_identity_splits, split_face_records


def _write_faces(folder, labels):
    with ShardedRecordWriter(folder, "faces", num_shards=2) as writer:
        for position, label in enumerate(labels):
            writer.write(make_face_example(fx.png(position), label).SerializeToString())
    return writer.paths


LABELS = [identity for identity in range(10) for _ in range(4)] + [10]  # identity 10 has a single image


def test_identities_never_cross_splits_and_holdout_comes_from_train(tmp_path):
    summaries = split_face_records(_write_faces(tmp_path / "in", LABELS), tmp_path / "out", eval_fraction=0.3,
                                   holdout_per_identity=1, seed=5, show_progress=False)
    labels = {name: [r.label for _, r in read_face_records(s.shards)] for name, s in summaries.items()}
    assert set(labels["train"]).isdisjoint(labels["eval"]) and set(labels["holdout"]) <= set(labels["train"])
    assert summaries["eval"].identities == 3 and summaries["train"].identities == 8
    assert sum(s.written for s in summaries.values()) == len(LABELS)
    holdout = sorted(labels["holdout"])
    assert holdout == sorted(set(labels["train"]) - {10})  # one per train identity with more than one image
    assert sorted(os.listdir(tmp_path / "out")) == ["eval", "holdout", "train"]


def test_assignment_is_deterministic_and_order_independent():
    first = assign_identity_splits(LABELS, 0.3, 1, seed=5)
    assert first == assign_identity_splits(LABELS, 0.3, 1, seed=5)
    reordered = assign_identity_splits(LABELS[::-1], 0.3, 1, seed=5)[::-1]
    assert [s == "eval" for s in first] == [s == "eval" for s in reordered]
    assert assign_identity_splits(LABELS, 0.3, seed=6) != assign_identity_splits(LABELS, 0.3, seed=5)


@pytest.mark.parametrize("fraction, expected", [
    (0.0, "strictly between 0 and 1"), (0.01, "leaves 0 for eval"), (0.99, "and 0 for train"),
])
def test_fractions_that_empty_a_split_are_refused(fraction, expected):
    with pytest.raises(ValueError, match=expected):
        assign_identity_splits(LABELS, fraction)


def test_a_truncated_input_file_is_refused_by_file_and_record_before_writing(tmp_path, capsys):
    paths = _write_faces(tmp_path / "in", LABELS)
    os.truncate(paths[1], os.path.getsize(paths[1]) - 10)
    with pytest.raises(RecordError, match=r"faces-00001-of-00002.tfrecord record 19: truncated or corrupted"):
        split_face_records(paths, tmp_path / "out", eval_fraction=0.3, show_progress=False)
    assert not (tmp_path / "out").exists()
    assert main(["split", str(tmp_path / "in"), str(tmp_path / "out"), "--eval-fraction", "0.3"]) == 1
    assert "record 19: truncated" in capsys.readouterr().err


def test_split_command_writes_the_splits(tmp_path, capsys):
    _write_faces(tmp_path / "in", LABELS)
    assert main(["split", str(tmp_path / "in"), str(tmp_path / "out"), "--eval-fraction", "0.2", "--quiet",
                 "--shards", "2"]) == 0
    printed = capsys.readouterr().out
    assert "train: faces: 33 written of 9 identities to 2 shard(s)" in printed
    assert "eval: faces: 8 written of 2 identities to 2 shard(s)" in printed
