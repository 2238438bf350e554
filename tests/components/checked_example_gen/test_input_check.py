"""ImportExampleGen's check of every record, in its Beam job (components/checked_example_gen/).

The executor runs as the pipeline runs it (Beam's direct runner, the config's default Beam
arguments) on a few small shards, each run a few seconds. The refusal through the runner, with
every kind of bad record, is tests/reliability/test_reliability_bad_data.py; this covers the rest:
good records pass into the splits, a mix of label types, a refusal that lists the first problems
and counts the rest, pair records, and the settings the component hands its executor.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
from tfx import v1 as tfx
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import artifact_utils, standard_artifacts, standard_component_specs as keys

from tfx.utils import proto_utils

from components.checked_example_gen import errors, executor, shuffle
from components.checked_example_gen.component import CheckedImportExampleGen
from face_data.records.reading import PROBLEMS_SHOWN
from face_data.records.contract import make_face_example, make_pair_example
from face_data.records.shards import ShardedRecordWriter
from configs import load_config
from configs.orchestration import BeamConfig
from face_data.synthetic.face_set import write_synthetic_faces
from runners import inputs
from tests.face_data import face_fixtures as fx  # the small images in each format's layout


SPLITS = tfx.proto.Output(split_config=tfx.proto.SplitConfig(
    splits=[tfx.proto.SplitConfig.Split(name="train", hash_buckets=3),
            tfx.proto.SplitConfig.Split(name="eval", hash_buckets=1)],
    partition_feature_name="label"))
ONE_SPLIT = tfx.proto.Output(split_config=tfx.proto.SplitConfig(
    splits=[tfx.proto.SplitConfig.Split(name="pairs", hash_buckets=1)]))


def _write(folder, shards):
    """One TFRecord file per list of tf.Examples; their paths."""
    paths = []
    for index, examples in enumerate(shards):
        with ShardedRecordWriter(folder, f"faces{index}", num_shards=1) as writer:
            for example in examples:
                writer.write(example.SerializeToString())
        paths.extend(writer.paths)
    return paths


def _run(tmp_path, folder, kind="face", output_config=SPLITS, beam=BeamConfig(), **features):
    """Runs the executor of CheckedImportExampleGen(folder) as the pipeline would; its Examples artifact."""
    component = CheckedImportExampleGen(
        str(folder), tfx.proto.Input(splits=[tfx.proto.Input.Split(name="all", pattern="*.tfrecord*")]),
        output_config, kind=kind, **features)
    # As the orchestrator hands them over: protos as JSON.
    properties = {name: value if isinstance(value, (str, int)) else proto_utils.proto_to_json(value)
                  for name, value in component.exec_properties.items() if value is not None}
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    context = BaseBeamExecutor.Context(beam_pipeline_args=beam.pipeline_args(), tmp_dir=str(tmp_path / "tmp"),
                                       unique_id="1")
    executor.Executor(context).Do({}, {keys.EXAMPLES_KEY: [examples]}, properties)
    return examples


def _written(examples, split):
    """{file name: its records in order} of one split."""
    files = sorted(tf.io.gfile.glob(os.path.join(artifact_utils.get_split_uri([examples], split), "*")))
    return {os.path.basename(path): [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type="GZIP")]
            for path in files}


def _count(examples, split):
    return sum(len(records) for records in _written(examples, split).values())


def test_good_records_of_several_shards_all_reach_the_splits(tmp_path):
    _write(tmp_path / "in", [[make_face_example(fx.png(i), i % 6) for i in range(s, s + 9)] for s in (0, 9)])
    examples = _run(tmp_path, tmp_path / "in")
    assert _count(examples, "train") + _count(examples, "eval") == 18
    (summaries,) = tmp_path.glob(f"tmp/**/{executor.SUMMARY_DIR}")
    assert not os.listdir(summaries)  # the check's summaries are cleaned up


def test_a_label_of_the_other_type_is_refused_naming_both_records(tmp_path):
    first, second = _write(tmp_path / "in", [[make_face_example(fx.png(0), 7), make_face_example(fx.png(1), 8)],
                                              [make_face_example(fx.png(2), "ada")]])
    with pytest.raises(errors.InputCheckFailed) as refused:
        _run(tmp_path, tmp_path / "in")
    assert errors.message(refused.value).startswith(
        f"1 unusable face record(s) or file(s):\n  {second} record 0: label of type bytes (1 record(s)), where "
        f"{first} record 0 has type int64; a file set holds one label type\nExampleGen stopped")


def test_a_wrong_feature_name_lists_the_first_problems_and_counts_the_rest(tmp_path):
    (path,) = _write(tmp_path / "in", [[make_face_example(fx.png(i), i) for i in range(PROBLEMS_SHOWN + 5)]])
    with pytest.raises(errors.InputCheckFailed) as refused:
        _run(tmp_path, tmp_path / "in", label_feature="person")
    message = errors.message(refused.value)
    assert message.startswith(f"{PROBLEMS_SHOWN + 5} unusable face record(s) or file(s):\n  {path} record 0: "
                              "feature 'person' is missing")
    assert message.count("feature 'person' is missing") == PROBLEMS_SHOWN
    assert "\n  ... and 5 more\nExampleGen stopped: no component after it ran on these records." in message


def test_pair_records_are_checked_image_by_image(tmp_path):
    (path,) = _write(tmp_path / "in", [[make_pair_example(fx.png(1), fx.jpeg(2), False),
                                        make_pair_example(fx.png(1), fx.png(2)[:50], True)]])
    with pytest.raises(errors.InputCheckFailed, match=rf"^1 unusable pair record\(s\) or file\(s\):\n  {path} "
                                                        r"record 1: corrupt image: image b:"):
        _run(tmp_path, tmp_path / "in", kind="pair", output_config=ONE_SPLIT)


def test_the_component_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind: expected 'face' or 'pair', got 'faces'"):
        CheckedImportExampleGen("in", tfx.proto.Input(), SPLITS, kind="faces")


def test_a_dangling_link_or_a_folder_matching_the_pattern_is_refused_by_name(pipeline_config):
    # The runners' check of the input folders before any component (runners/inputs.py).
    config = load_config(pipeline_config("input_folders"))
    base = config.data.input_base
    write_synthetic_faces(str(base), num_identities=4, images_per_identity=2, image_size=16, show_progress=False)
    (base / "gone.tfrecord").symlink_to(base / "nowhere.tfrecord")
    (base / "x.tfrecord.d").mkdir()
    with pytest.raises(inputs.InputDataError) as refused:
        inputs.check_input_data(config)
    message = str(refused.value)
    assert f"{base / 'gone.tfrecord'}: a link to {base / 'nowhere.tfrecord'}, which does not exist" in message
    assert f"{base / 'x.tfrecord.d'}: a folder" in message
    assert "2 of the 3 entries matching data.file_pattern '*.tfrecord*'" in message


def test_face_splits_are_written_in_the_same_random_order_in_memory_and_multi_processing(tmp_path):
    people, images = 100, 3
    # In identity order, as the converters write: the order each split is written in is the records' own.
    examples = [make_face_example(fx.png(i), i // images) for i in range(people * images)]
    _write(tmp_path / "in", [examples[:100], examples[100:200], examples[200:]])
    runs = {mode: _run(tmp_path / mode, tmp_path / "in", beam=BeamConfig(running_mode=mode, num_workers=2))
            for mode in ("in_memory", "multi_processing")}
    for split in ("train", "eval"):
        written = _written(runs["in_memory"], split)
        assert _written(runs["multi_processing"], split) == written
        records = [record for file in written.values() for record in file]
        num_files = shuffle.files_for(len(records))
        expected = shuffle.shuffled_files(records, 0, num_files)
        assert written == {shuffle.file_name(i, num_files): expected[i] for i in range(num_files)}
        labels = [tf.train.Example.FromString(r).features.feature["label"].int64_list.value[0] for r in records]
        same_person_next = np.mean(np.equal(labels[1:], labels[:-1]))
        # Identity order: 2 of 3; a random order about 2 / len(records) (under 0.01 here).
        assert same_person_next < 0.05, split
    assert num_files == 1 and len(_written(runs["in_memory"], "train")) == 2  # eval's 75 records, train's 225
