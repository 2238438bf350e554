"""Every layer and loss round-trips through get_config and the .keras format."""

import json

import keras
import numpy as np
import pytest

import arcface_module
from arcface_module import (
    AdaFaceMargin,
    ArcFaceLayer,
    ArcFaceLoss,
    CombinedMargin,
    MarginHead,
    MarginLoss,
)


def _as_json(config):
    """The config as the .keras format stores it (tuples become lists)."""
    return json.loads(json.dumps(config))


@pytest.mark.parametrize(
    "layer",
    [
        CombinedMargin(m1=0.9, m2=0.4, m3=0.15),
        CombinedMargin(m2=0.3, easy_margin=True),
        AdaFaceMargin(margin=0.5, concentration=0.2, momentum=0.9),
        ArcFaceLayer(7, sub_centers=3, centers_regularizer="l2"),
        MarginHead(
            9, margin=CombinedMargin(m3=0.35), scale=30.0, sub_centers=2, sample_rate=0.5, seed=4
        ),
        MarginHead(9, margin="adaface"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_layer_config_round_trip(layer):
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is type(layer)
    assert restored.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "loss",
    [
        ArcFaceLoss(margin=0.45, scale=32.0, easy_margin=True),
        MarginLoss("sphereface", scale=48.0),
        MarginLoss(CombinedMargin(m1=1.0, m2=0.3, m3=0.2)),
    ],
    ids=lambda loss: loss.name,
)
def test_loss_config_round_trip(loss):
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    cosine = np.random.default_rng(0).uniform(-1, 1, (5, 4)).astype("float32")
    labels = np.array([0, 1, 2, 3, 0])
    assert float(restored(labels, cosine)) == pytest.approx(float(loss(labels, cosine)))


def test_seed_style_model_keras_file_round_trip(tmp_path):
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    model = keras.Sequential([backbone, ArcFaceLayer(5, sub_centers=2)])
    model.compile(optimizer="adam", loss=ArcFaceLoss(margin=0.4, scale=32.0))
    images = np.random.default_rng(0).normal(size=(10, 32, 32, 3)).astype("float32")
    labels = np.arange(10) % 5
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(
        restored.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6
    )
    assert restored.loss.get_config() == model.loss.get_config()
    expected_loss = model.evaluate(images, labels, verbose=0)
    assert restored.evaluate(images, labels, verbose=0) == pytest.approx(expected_loss, rel=1e-5)


def test_training_model_keras_file_round_trip_keeps_head_state(tmp_path):
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    head = MarginHead(6, margin="adaface", sub_centers=2, sample_rate=0.5, seed=1)
    model = arcface_module.training_model(backbone, head)
    model.compile(optimizer="adam")
    images = np.random.default_rng(0).normal(size=(8, 32, 32, 3))
    data = {"images": images, "labels": np.arange(8) % 6}
    model.fit(data, epochs=1, verbose=0)
    model.save(tmp_path / "training.keras")
    restored = keras.saving.load_model(tmp_path / "training.keras")
    restored_head = restored.get_layer(head.name)
    assert _as_json(restored_head.get_config()) == _as_json(head.get_config())
    for name in ["norm_mean", "norm_std"]:
        assert float(getattr(restored_head.margin, name)) == float(getattr(head.margin, name))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored_head.classifier.centers),
        keras.ops.convert_to_numpy(head.classifier.centers),
    )
