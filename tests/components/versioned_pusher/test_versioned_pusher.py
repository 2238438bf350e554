"""The VersionedPusher: numbered versions that appear whole, pruning, and the executor's blessing and serving checks."""

import concurrent.futures
import fcntl
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts
from tfx.utils import json_utils, proto_utils

from serving import verification_file
from components.versioned_pusher import executor, versions
from serving import model_folder


def _saved_model_folder(path, marker: str) -> str:
    """A folder shaped like a SavedModel (the pusher copies files; it never loads them)."""
    os.makedirs(os.path.join(path, "variables"))
    for name in ("saved_model.pb", os.path.join("variables", "variables.index")):
        with open(os.path.join(path, name), "w") as file:
            file.write(f"{marker} {name}")
    return str(path)


class _ConstantEmbedder(tf.Module):
    """Embeds every image as `vector`, L2-normalised: a real SavedModel for the Pusher to load and probe."""

    def __init__(self, vector):
        super().__init__()
        self._vector = tf.constant(vector, tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def serve(self, images):
        rows = tf.tile(self._vector[tf.newaxis], [tf.size(images), 1])
        return {"embedding": tf.math.l2_normalize(rows, axis=1)}


def _entries(model_dir):
    return sorted(os.listdir(model_dir))


def test_publish_adds_a_complete_version_with_its_extra_files(tmp_path):
    source = _saved_model_folder(tmp_path / "source", "model-a")
    model_dir = str(tmp_path / "serving" / "arcface")
    version_dir = versions.publish(source, model_dir, {"verification.json": '{"threshold": 0.3}'}, keep=3)
    assert model_folder.list_versions(model_dir) == [int(os.path.basename(version_dir))]
    assert model_folder.latest_version_dir(model_dir) == version_dir
    assert sorted(os.listdir(version_dir)) == ["saved_model.pb", "variables", "verification.json"]
    with open(os.path.join(version_dir, "variables", "variables.index")) as file:
        assert file.read() == "model-a variables/variables.index"
    assert _entries(model_dir) == [os.path.basename(version_dir)]  # no temporary folder left


def test_versions_always_increase_and_only_the_newest_are_kept(tmp_path):
    model_dir = str(tmp_path / "arcface")
    published = [versions.publish(_saved_model_folder(tmp_path / f"source{i}", f"model-{i}"), model_dir, {}, keep=2)
                 for i in range(4)]  # within a second or two: the clock alone would repeat numbers
    numbers = [int(os.path.basename(path)) for path in published]
    assert numbers == sorted(set(numbers))
    assert model_folder.list_versions(model_dir) == numbers[-2:]
    assert _entries(model_dir) == [str(number) for number in numbers[-2:]]


def test_no_reader_sees_a_version_before_it_is_complete(tmp_path, monkeypatch):
    model_dir = str(tmp_path / "arcface")
    first = versions.publish(_saved_model_folder(tmp_path / "first", "first"), model_dir, {}, keep=3)
    seen_while_copying = []

    def write_then_look(folder, extra_files):
        # The model's files are copied by now; a reader listing the model folder must not see them yet.
        seen_while_copying.append((model_folder.list_versions(model_dir), [n for n in _entries(model_dir) if n.isdigit()]))
        raise OSError("disk full")

    monkeypatch.setattr(versions, "_write_extra_files", write_then_look)
    with pytest.raises(OSError, match="disk full"):
        versions.publish(_saved_model_folder(tmp_path / "second", "second"), model_dir, {"x": "y"}, keep=3)
    number = int(os.path.basename(first))
    assert seen_while_copying == [([number], [str(number)])]
    assert _entries(model_dir) == [str(number)]  # the failed push left nothing behind


def test_a_push_removes_what_a_killed_push_left(tmp_path):
    model_dir = str(tmp_path / "arcface")
    first = versions.publish(_saved_model_folder(tmp_path / "first", "first"), model_dir, {}, keep=3)
    # What a push killed while staging, and one killed while pruning, leave behind.
    leftovers = [".partial-1760000000-0123abcd", ".deleting-1759990000-4567ef01"]
    for name in leftovers:
        _saved_model_folder(tmp_path / "arcface" / name, "killed")
    second = versions.publish(_saved_model_folder(tmp_path / "second", "second"), model_dir, {}, keep=3)
    assert _entries(model_dir) == sorted(os.path.basename(v) for v in (first, second))


def test_local_pushes_to_one_folder_take_turns(tmp_path):
    model_dir = str(tmp_path / "arcface")
    os.makedirs(model_dir)
    source = _saved_model_folder(tmp_path / "source", "waiting")
    # Another push holds the folder, its staged copy not yet renamed into a version.
    folder = os.open(model_dir, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(folder, fcntl.LOCK_EX)
    staged = _saved_model_folder(tmp_path / "arcface" / ".partial-1-live", "live")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            waiting = pool.submit(versions.publish, source, model_dir, {}, keep=3)
            with pytest.raises(TimeoutError):
                waiting.result(timeout=1)
            assert _entries(model_dir) == [".partial-1-live"]  # the live push's copy is left alone
            os.rename(staged, os.path.join(model_dir, "1"))
        finally:
            os.close(folder)  # the other push is done
        version_dir = waiting.result(timeout=60)
    assert model_folder.list_versions(model_dir) == [1, int(os.path.basename(version_dir))]


def test_publish_refuses_a_folder_without_a_saved_model(tmp_path):
    os.makedirs(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="expected a SavedModel folder with saved_model.pb"):
        versions.publish(str(tmp_path / "empty"), str(tmp_path / "arcface"), {}, keep=1)
    assert not (tmp_path / "arcface").exists()


def test_latest_version_of_an_empty_folder_says_what_was_expected(tmp_path):
    os.makedirs(tmp_path / "arcface" / "17")  # a number without a saved_model.pb is no version
    with pytest.raises(FileNotFoundError, match="expected version folders <model_dir>/<number>/ holding"):
        model_folder.latest_version_dir(str(tmp_path / "arcface"))


def _push(tmp_path, blessed: bool, threshold=0.42, keep=2, vector=(0.6, 0.8)):
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    embedder = _ConstantEmbedder(vector)
    tf.saved_model.save(embedder, os.path.join(model.uri, "Format-Serving"),
                        signatures={"serving_default": embedder.serve})
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    blessing.set_int_custom_property("blessed", int(blessed))
    if threshold is not None:
        verification_file.write(blessing.uri, {"threshold": threshold}, model.uri, ["PASS verification_accuracy 0.9000"])
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / "pushed")
    destination = pusher_pb2.PushDestination(
        filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=str(tmp_path / "serving")))
    executor.Executor().Do(
        {"model": [model], "model_blessing": [blessing]},
        {"pushed_model": [pushed]},
        {"push_destination": proto_utils.proto_to_json(destination),
         "custom_config": json_utils.dumps({"model_name": "arcface", "keep_versions": keep})},
    )
    return pushed


def test_executor_pushes_a_blessed_model_with_its_threshold(tmp_path):
    pushed = _push(tmp_path, blessed=True)
    version_dir = model_folder.latest_version_dir(str(tmp_path / "serving" / "arcface"))
    assert pushed.get_int_custom_property("pushed") == 1
    assert pushed.get_string_custom_property("pushed_destination") == version_dir
    assert pushed.get_string_custom_property("pushed_version") == os.path.basename(version_dir)
    with open(os.path.join(version_dir, "verification.json")) as file:
        info = json.load(file)
    assert info["threshold"] == 0.42
    assert info["model"] == str(tmp_path / "model")
    assert info["checks"] == ["PASS verification_accuracy 0.9000"]
    assert sorted(os.listdir(pushed.uri)) == sorted(os.listdir(version_dir))  # archived, as TFX's Pusher does


def test_executor_never_pushes_an_unblessed_model(tmp_path):
    pushed = _push(tmp_path, blessed=False)
    assert pushed.get_int_custom_property("pushed") == 0
    assert not os.path.exists(tmp_path / "serving")


def test_executor_needs_the_evaluators_threshold(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected verification.json, written by the EmbeddingEvaluator"):
        _push(tmp_path, blessed=True, threshold=None)


def test_executor_refuses_a_model_that_does_not_embed_to_a_unit_vector(tmp_path):
    with pytest.raises(ValueError, match=r"not pushed: serving_default embeds probe image 0 as a vector of norm nan"):
        _push(tmp_path, blessed=True, vector=(np.nan, 1.0))
    model_dir = tmp_path / "serving" / "arcface"
    assert model_folder.list_versions(str(model_dir)) == []
    assert _entries(model_dir) == []  # the staged copy is gone too
