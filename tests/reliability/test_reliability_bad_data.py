"""Bad data given to the real pipeline runner (issue #9, point 3; what [F3] asks of bad input).

A face set with corrupt images, a record without label, one with an empty label, a decompression
bomb and a truncated TFRecord shard, and a verification-pairs set with a corrupt image, each
beside good records. Without a check, ImportExampleGen stopped on the truncated shard and on the
missing label, and Transform (after ExampleGen, StatisticsGen, SchemaGen and an ExampleValidator
that found nothing) on the corrupt images, each with a Beam traceback naming neither file nor
record. Now ImportExampleGen checks every record in its Beam job and refuses them: exit 1, every
bad file and record named in one message, the ExampleGen's execution failed, nothing after it run
(no Transform, Trainer, evaluator or push), and the input files untouched. A pairs folder that is
missing is refused by its key before any component runs.
"""

import hashlib
import shutil
from pathlib import Path

import pytest
import tensorflow as tf
import yaml
from ml_metadata.proto import metadata_store_pb2

from face_data.records import contract
from face_data.records.reading import read_serialized
from face_data.synthetic.face_set import write_synthetic_faces
from configs import load_config
from inspection import metadata
from pipeline.run_lock import LOCK_FILE
from tests.face_data import face_fixtures as fx  # the small inputs in each format's layout
from tests.reliability.refusals import assert_refused

pytestmark = [pytest.mark.pipeline, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]

BOMB = fx.png_claiming_size(50_000, 50_000)


def _digests(folder: Path) -> dict:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def _refused(result, config_path: Path, messages, example_gen=None) -> None:
    """Exit 1 naming each problem in one message, no traceback; the `example_gen` that refused the
    records failed and nothing downstream ran (None: refused before any component, nothing made)."""
    assert_refused(result, *messages)
    config = load_config(config_path)
    assert not Path(config.pusher.serving_dir).exists(), "a refused run pushed"
    if example_gen is None:
        for made in (config.pipeline_root, config.metadata_path, Path(config.run_root, LOCK_FILE)):
            assert not Path(made).exists(), f"{made} was made by a run refused before any component"
        return
    store = metadata.open_store(config)
    executions = metadata.run_executions(store, metadata.find_run(store, config.pipeline_name))
    assert executions[example_gen].last_known_state == metadata_store_pb2.Execution.FAILED
    ran_on_the_records = {"Transform", "Trainer", "EmbeddingEvaluator", "Pusher"} & set(executions)
    assert not ran_on_the_records, f"{ran_on_the_records} ran on refused records"


def _face(image: bytes, label) -> bytes:
    return contract.make_face_example(image, label).SerializeToString()


@pytest.fixture(scope="module")
def good_faces(tmp_path_factory):
    """Serialized good face records of the tiny synthetic set (24 identities x 8 images, 48 px)."""
    folder = tmp_path_factory.mktemp("good")
    summary = write_synthetic_faces(folder, 24, 8, image_size=48, seed=1, show_progress=False)
    return [serialized for _, serialized in read_serialized(summary.shards)]


def test_bad_face_records_are_refused_by_file_and_record_in_example_gen(
        pipeline_config, run_pipeline, good_faces):
    config_path = pipeline_config("bad-faces")
    data = config_path.parent / "data"
    data.mkdir()
    good_image = contract.parse_face_example(good_faces[0]).image
    unlabelled = tf.train.Example.FromString(good_faces[1])
    del unlabelled.features.feature["label"]
    empty_label = tf.train.Example.FromString(good_faces[2])
    empty_label.features.feature["label"].Clear()
    empty_label.features.feature["label"].bytes_list.value.append(b"")
    with tf.io.TFRecordWriter(str(data / "faces-00000-of-00002.tfrecord")) as writer:
        for serialized in good_faces[:96]:
            writer.write(serialized)
    with tf.io.TFRecordWriter(str(data / "faces-00001-of-00002.tfrecord")) as writer:
        for serialized in [*good_faces[96:], _face(good_image[:-40], 3), _face(b"not an image at all", 4),
                           unlabelled.SerializeToString(), empty_label.SerializeToString(), _face(BOMB, 5)]:
            writer.write(serialized)
    with tf.io.TFRecordWriter(str(data / "extra.tfrecord")) as writer:
        for serialized in good_faces[:10]:
            writer.write(serialized)
    # Cut inside record 4, as a copy that crashed leaves it (16 bytes of framing per record).
    cut = sum(len(serialized) + 16 for serialized in good_faces[:4]) + 100
    (data / "extra.tfrecord").write_bytes((data / "extra.tfrecord").read_bytes()[:cut])
    before = _digests(data)

    result = run_pipeline(config_path, expect_success=False)
    shard = data / "faces-00001-of-00002.tfrecord"
    _refused(result, config_path, [
        "6 unusable face record(s) or file(s)",
        f"{shard} record 96: corrupt image: PNG does not decode",
        f"{shard} record 97: not an image",
        f"{shard} record 98: feature 'label' is missing",
        f"{shard} record 99 feature 'label': expected a non-empty identity label",
        f"{shard} record 100: too many pixels",
        f"{data / 'extra.tfrecord'} record 4: truncated or corrupted TFRecord file (truncated record at",
        "ExampleGen stopped: no component after it ran on these records.",
    ], example_gen="ImportExampleGen")
    assert _digests(data) == before


def test_bad_pair_records_are_refused_naming_the_pair_and_image(pipeline_config, run_pipeline, good_faces):
    config_path = pipeline_config("bad-pairs")
    pairs = config_path.parent / "pairs"
    config = yaml.safe_load(config_path.read_text())
    config["evaluator"]["pairs"] = {"lfw": {"input_base": str(pairs)}}
    config_path.write_text(yaml.safe_dump(config))
    good_image = contract.parse_face_example(good_faces[0]).image
    (config_path.parent / "data").mkdir()
    with tf.io.TFRecordWriter(str(config_path.parent / "data" / "faces.tfrecord")) as writer:
        for serialized in good_faces:
            writer.write(serialized)
    pairs.mkdir()
    with tf.io.TFRecordWriter(str(pairs / "pairs.tfrecord")) as writer:
        writer.write(contract.make_pair_example(good_image, good_image, True).SerializeToString())
        writer.write(contract.make_pair_example(good_image, good_image[:100], False).SerializeToString())
    result = run_pipeline(config_path, expect_success=False)
    _refused(result, config_path, [f"{pairs / 'pairs.tfrecord'} record 1: corrupt image: image b:"],
             example_gen="PairsExampleGen")
    shutil.rmtree(pairs)  # a pairs folder that is not there is refused by its key, before any component
    shutil.rmtree(load_config(config_path).run_root / "pipeline")
    load_config(config_path).metadata_path.unlink()
    (load_config(config_path).run_root / LOCK_FILE).unlink()  # the first run's: it ran ExampleGen
    result = run_pipeline(config_path, expect_success=False)
    _refused(result, config_path, [f"evaluator.pairs.lfw.input_base: {pairs} is not a folder of records"])
