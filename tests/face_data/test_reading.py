"""Checking record files as the pipeline's runners do before any component runs (`check_face_files`).

The end-to-end refusal, through the runner, is tests/reliability/test_reliability_bad_data.py; this
covers what it does not: a mix of label types, and a refusal that lists the first problems and
counts the rest.
"""

import pytest

import face_fixtures as fx
from face_data.reading import PROBLEMS_SHOWN, check_face_files, check_pair_files
from face_data.records import FaceFeatures, RecordError, make_face_example, make_pair_example


def test_good_files_return_their_record_count(tmp_path):
    faces = fx.write_records(tmp_path / "faces", [make_face_example(fx.png(i), i % 3) for i in range(7)])
    pairs = fx.write_records(tmp_path / "pairs", [make_pair_example(fx.png(1), fx.jpeg(2), False)])
    assert check_face_files(faces) == 7 and check_pair_files(pairs) == 1


def test_a_label_of_the_other_type_is_refused_naming_both_records(tmp_path):
    (path,) = fx.write_records(tmp_path, [make_face_example(fx.png(0), 7), make_face_example(fx.png(1), "ada")])
    with pytest.raises(RecordError, match=rf"{path} record 1: label b'ada' is not of the type of {path} record 0's "
                                          r"label 7 \(int64 or bytes\)"):
        check_face_files([path])


def test_a_wrong_feature_name_lists_the_first_problems_and_counts_the_rest(tmp_path):
    (path,) = fx.write_records(tmp_path, [make_face_example(fx.png(i), i) for i in range(PROBLEMS_SHOWN + 5)])
    with pytest.raises(RecordError) as refused:
        check_face_files([path], FaceFeatures(label="person"))
    message = str(refused.value)
    assert message.startswith(f"{PROBLEMS_SHOWN + 5} unusable face record(s) or file(s):\n  {path} record 0: "
                              "feature 'person' is missing")
    assert message.count("feature 'person' is missing") == PROBLEMS_SHOWN
    assert message.endswith("\n  ... and 5 more")
