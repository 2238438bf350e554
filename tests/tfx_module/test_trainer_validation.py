"""Validation on pairs sets during training, and keep-best, on a small Keras model driven step by step.

The pipeline test (tests/components/embedding_evaluator/test_pipeline_orl_pairs.py) shows it inside the Trainer; here the
weights are set by hand between validations, so that the best weights are known to be an earlier
step's, not the last.
"""

import glob
import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfx_module.trainer import progress, validation
from face_data.records import contract

DIM = 4


def _pair_set(seed=0, num_pairs=40):
    """Pairs of 4-D feature vectors (as bytes, standing for encoded images): same pairs are near each other."""
    rng = np.random.default_rng(seed)
    anchors = rng.normal(size=(num_pairs, DIM)).astype(np.float32)
    others = rng.normal(size=(num_pairs, DIM)).astype(np.float32)
    is_same = np.arange(num_pairs) % 2 == 0
    partners = np.where(is_same[:, None], anchors + 0.05 * others, others)
    return validation.PairSet([row.tobytes() for row in anchors], [row.tobytes() for row in partners], is_same, None)


class _Export:
    """Stands for export.EmbeddingExport: "encoded images" are float32 vectors, embedded by the backbone."""

    def __init__(self, backbone):
        self.backbone = backbone

    def embed_images(self, images):
        features = np.stack([np.frombuffer(image, np.float32) for image in images.numpy()])
        return {"embedding": tf.math.l2_normalize(self.backbone(features), axis=1)}


class _Trainer:
    """What the callback reads of the training model: its step counter."""

    def __init__(self):
        self.steps = keras.Variable(0, dtype="int64")


def _backbone():
    backbone = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(DIM, use_bias=False)])
    backbone.layers[0].kernel.assign(np.eye(DIM))
    return backbone


def _validate_at(callback, trainer, step):
    trainer.steps.assign(step)
    callback.on_train_batch_end(step, {})


def test_the_best_weights_are_kept_and_restored_not_the_last(tmp_path, caplog):
    backbone, trainer = _backbone(), _Trainer()
    good = backbone.get_weights()
    # A kernel that keeps one input coordinate: it tells the pairs apart far worse.
    poor = [np.diag([1.0, 0.0, 0.0, 0.0]).astype(np.float32)]
    callback = validation.PairsValidation({"set": _pair_set()}, _Export(backbone), every_steps=10, total_steps=30,
                                          far=0.1, seed=0, log_dir=str(tmp_path / "logs"),
                                          best_dir=str(tmp_path / "best"), keep_best="set", backbone=backbone)
    callback.set_model(trainer)
    # Validation lines go to the Trainer's progress logger (its own stderr handler, not propagated).
    progress.show_on_stderr().addHandler(caplog.handler)
    with caplog.at_level(logging.INFO, logger=validation.__name__):
        _validate_at(callback, trainer, 10)
        backbone.set_weights(poor)
        _validate_at(callback, trainer, 15)  # not a validation step
        _validate_at(callback, trainer, 20)
        _validate_at(callback, trainer, 30)  # the last step validates as well
    callback.on_train_end()
    progress.show_on_stderr().removeHandler(caplog.handler)
    lines = [record.getMessage() for record in caplog.records]
    validations = [line for line in lines if line.startswith("validation at step")]
    assert [line.split(" (")[0] for line in validations] == ["validation at step 10/30", "validation at step 20/30",
                                                            "validation at step 30/30"]
    assert "set accuracy 1.0000 +/- 0.0000, TAR 1.0000 at FAR 0.1" in validations[0]
    best = validation.read_best(str(tmp_path / "best"))
    assert (best["step"], best["set"], best["accuracy"]) == (10, "set", 1.0)
    assert len(glob.glob(str(tmp_path / "best" / "weights-*.index"))) == 1

    restored = validation.restore_best(backbone, str(tmp_path / "best"))
    assert restored == best
    np.testing.assert_array_equal(backbone.get_weights()[0], good[0])
    # TensorBoard: accuracy and TAR at every validation step.
    steps = {}
    for record in tf.data.TFRecordDataset(glob.glob(str(tmp_path / "logs" / "events.out.tfevents.*"))):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            steps.setdefault(value.tag, []).append(event.step)
    assert steps["validation/set/accuracy"] == steps["validation/set/tar_at_far"] == [10, 20, 30]


def test_a_resumed_training_keeps_the_best_of_the_attempt_before(tmp_path):
    backbone, trainer = _backbone(), _Trainer()
    settings = dict(every_steps=10, total_steps=30, far=0.1, seed=0, best_dir=str(tmp_path / "best"), keep_best="set",
                    backbone=backbone)
    first = validation.PairsValidation({"set": _pair_set()}, _Export(backbone), **settings)
    first.set_model(trainer)
    _validate_at(first, trainer, 10)
    backbone.set_weights([np.diag([1.0, 0.0, 0.0, 0.0]).astype(np.float32)])
    resumed = validation.PairsValidation({"set": _pair_set()}, _Export(backbone), **settings)
    resumed.set_model(trainer)
    assert resumed.best_accuracy == 1.0
    _validate_at(resumed, trainer, 20)
    assert validation.read_best(str(tmp_path / "best"))["step"] == 10


def test_a_far_too_small_for_the_set_reports_no_tar(tmp_path):
    backbone = _backbone()
    callback = validation.PairsValidation({"set": _pair_set()}, _Export(backbone), every_steps=10, total_steps=10,
                                          far=1e-3, seed=0)
    assert callback.validate(_pair_set()) == {"accuracy": 1.0, "accuracy_std": 0.0, "tar_at_far": None}


def test_pair_sets_are_read_from_pair_records_with_their_folds(tmp_path):
    with tf.io.TFRecordWriter(str(tmp_path / "pairs.tfrecord")) as writer:
        for index in range(4):
            writer.write(contract.make_pair_example(b"\x89PNG a", b"\x89PNG b", index % 2 == 0, fold=index // 2)
                         .SerializeToString())
    (loaded,) = validation.load_pair_sets({"lfw": {"input_base": str(tmp_path), "file_pattern": "*.tfrecord"}}).values()
    assert loaded.is_same.tolist() == [True, False, True, False] and loaded.folds.tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match=r"validation set lfw: expected pair records at .*/\*.gz, found none"):
        validation.load_pair_sets({"lfw": {"input_base": str(tmp_path), "file_pattern": "*.gz"}})
