"""The whole pipeline on tiny synthetic faces, checked through ML Metadata and the pushed model."""

import glob
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
from ml_metadata.proto import metadata_store_pb2
from tensorflow_metadata.proto.v0 import schema_pb2

from inspection import metadata

pytestmark = pytest.mark.pipeline

COMPONENTS = [
    "ImportExampleGen",
    "StatisticsGen",
    "SchemaGen",
    "ExampleValidator",
    "Transform",
    "Trainer",
    "latest_blessed_model_resolver",
    "EmbeddingEvaluator",
    "Pusher",
]
DONE = {metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.CACHED}
# What TensorFlow 2.21 prints while it starts on a CPU-only machine.
# TensorFlow's start-up, TFX's and TensorFlow's Python warnings, LiteRT's line (the Pusher checks the .tflite files).
NOISE_MARKS = ("absl::InitializeLog()", "port.cc:", "cudart_stub.cc:", "cpu_feature_guard.cc:", "cuInit",
               "WARNING:absl:", "WARNING:tensorflow:", "XNNPACK")


def test_every_component_ran_and_produced_its_artifact(tiny_run):
    config, _ = tiny_run
    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name)
    executions = metadata.run_executions(store, run)
    assert sorted(executions) == sorted(COMPONENTS)
    for name, execution in executions.items():
        assert execution.last_known_state in DONE, name
    artifacts = metadata.run_artifacts(store, run)
    for type_name in ["Examples", "Schema", "TransformGraph", "Model", "ModelBlessing", "PushedModel"]:
        assert artifacts.get(type_name), f"no {type_name} artifact in the run"
        for artifact in artifacts[type_name]:
            assert tf.io.gfile.exists(artifact.uri), artifact.uri
    blessing = artifacts["ModelBlessing"][0]
    assert blessing.custom_properties["blessed"].int_value == 1
    pushed = artifacts["PushedModel"][0]
    assert pushed.custom_properties["pushed"].int_value == 1


def test_schema_knows_the_image_is_bytes_and_the_label_is_required(tiny_run):
    config, _ = tiny_run
    store = metadata.open_store(config)
    schemas = metadata.run_artifacts(store, metadata.find_run(store, config.pipeline_name))["Schema"]
    schema_artifact = next(a for a in schemas if "/SchemaGen/" in a.uri)  # Transform writes schemas too
    schema = tfdv.load_schema_text(os.path.join(schema_artifact.uri, "schema.pbtxt"))
    features = {f.name: f for f in schema.feature}
    assert features["image"].type == schema_pb2.BYTES
    assert features["label"].type == schema_pb2.INT
    for name in ("image", "label"):
        assert features[name].presence.min_fraction == 1.0, name


def test_splits_are_identity_disjoint(tiny_run, split_records):
    config, _ = tiny_run
    store = metadata.open_store(config)
    examples = metadata.run_artifacts(store, metadata.find_run(store, config.pipeline_name))["Examples"]
    raw = next(a for a in examples if "ImportExampleGen" in a.uri)
    _, train_labels = split_records(raw.uri, "train")
    _, eval_labels = split_records(raw.uri, "eval")
    assert set(train_labels).isdisjoint(eval_labels)
    assert len(set(eval_labels)) >= 2


def test_pushed_model_embeds_image_bytes_and_separates_unseen_people(tiny_run, split_records):
    config, output = tiny_run
    pushed_dirs = glob.glob(os.path.join(config.pusher.serving_dir, "*", "*", "saved_model.pb"))
    assert len(pushed_dirs) == 1, pushed_dirs
    assert os.path.dirname(pushed_dirs[0]) in output.stdout  # the runner says where the model is
    model = tf.saved_model.load(os.path.dirname(pushed_dirs[0]))

    store = metadata.open_store(config)
    examples = metadata.run_artifacts(store, metadata.find_run(store, config.pipeline_name))["Examples"]
    raw = next(a for a in examples if "ImportExampleGen" in a.uri)
    images, labels = split_records(raw.uri, "eval")  # identities never trained on
    embeddings = model.signatures["serving_default"](images=tf.constant(images))["embedding"].numpy()

    assert embeddings.shape == (len(images), config.trainer.embedding_size)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)

    similarity = embeddings @ embeddings.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    mean_same = similarity[same & off_diagonal].mean()
    mean_different = similarity[~same].mean()
    print(f"unseen identities: mean cosine same={mean_same:.3f} different={mean_different:.3f}")
    assert mean_same > mean_different + 0.1


def test_the_runner_shows_training_progress_and_where_the_tensorboard_logs_are(tiny_run):
    config, output = tiny_run
    steps = config.trainer.train_steps
    progress = [line for line in output.stderr.splitlines() if line.startswith("Trainer: step ")]
    assert progress[0].startswith(f"Trainer: step 1/{steps} (1%)  loss "), output.stderr[-3000:]
    assert progress[-1].startswith(f"Trainer: step {steps}/{steps} (100%)  loss ")
    assert " images/s  took " in progress[-1]
    # No framework noise at the default level (console/quiet.py).
    noise = [line for line in output.stderr.splitlines() if any(mark in line for mark in NOISE_MARKS)]
    assert noise == []
    [hint] = [line for line in output.stdout.splitlines() if line.startswith("TensorBoard:")]
    logdir = hint.split("--logdir ")[1].split()[0]
    assert glob.glob(os.path.join(logdir, "*", "events.out.tfevents.*")), hint
