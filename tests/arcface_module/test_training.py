"""End to end on a toy problem: the seed-style `Sequential([backbone, ArcFaceLayer(n)])` +
`ArcFaceLoss` and the `MarginHead` training model separate the classes; fp16 training stays
finite."""

import keras
import numpy as np
import pytest

import arcface_module


def _toy_faces(num_classes, per_class, seed):
    """32x32 images: one random 4x4-block pattern per class, under strong Gaussian noise."""
    patterns = np.random.default_rng(1234).uniform(-1, 1, (num_classes, 4, 4, 3))
    patterns = np.repeat(np.repeat(patterns, 8, axis=1), 8, axis=2)
    labels = np.repeat(np.arange(num_classes), per_class)
    noise = np.random.default_rng(seed).normal(0, 1.0, (len(labels), 32, 32, 3))
    return (patterns[labels] + noise).astype("float32"), labels


def _assert_separated(backbone, num_classes):
    """Held-out embeddings: every same-class pair is closer than every different-class pair."""
    images, labels = _toy_faces(num_classes, 12, seed=99)
    embedder = arcface_module.embedding_model(backbone)
    embeddings = keras.ops.convert_to_numpy(embedder(images, training=False))
    similarity = embeddings @ embeddings.T
    same = labels[:, None] == labels[None, :]
    assert similarity[same].min() > similarity[~same].max()


@pytest.mark.parametrize("one_hot", [False, True])
def test_seed_style_model_separates_toy_classes(one_hot):
    keras.utils.set_random_seed(0)
    images, labels = _toy_faces(4, 32, seed=0)
    backbone = arcface_module.get_backbone("tiny", num_features=32, input_shape=(32, 32, 3))
    model = keras.Sequential([backbone, arcface_module.ArcFaceLayer(4)])
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=arcface_module.ArcFaceLoss(margin=0.5, scale=64.0),
    )
    targets = np.eye(4, dtype="float32")[labels] if one_hot else labels
    history = model.fit(images, targets, epochs=5, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    _assert_separated(backbone, 4)


def test_margin_head_training_model_separates_toy_classes():
    keras.utils.set_random_seed(0)
    images, labels = _toy_faces(8, 32, seed=0)
    backbone = arcface_module.get_backbone("tiny", num_features=32, input_shape=(32, 32, 3))
    head = arcface_module.MarginHead(8, margin="arcface", sub_centers=2, sample_rate=0.5, seed=0)
    model = arcface_module.training_model(backbone, head)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(
        {"images": images, "labels": labels.astype("int64")}, epochs=6, batch_size=32, verbose=0
    )
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    _assert_separated(backbone, 8)


@pytest.mark.parametrize(
    "head",
    [
        None,  # the seed style: ArcFaceLayer + ArcFaceLoss
        {"margin": "adaface", "sub_centers": 2, "sample_rate": 0.5},
    ],
)
def test_mixed_float16_training_stays_finite(head, mixed_float16):
    keras.utils.set_random_seed(0)
    images, labels = _toy_faces(8, 4, seed=0)
    backbone = arcface_module.get_backbone("tiny", num_features=32, input_shape=(32, 32, 3))
    if head is None:
        model = keras.Sequential([backbone, arcface_module.ArcFaceLayer(8)])
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=arcface_module.ArcFaceLoss())
        data = {"x": images, "y": labels}
        assert keras.backend.standardize_dtype(model(images[:1]).dtype) == "float32"
    else:
        model = arcface_module.training_model(backbone, arcface_module.MarginHead(8, **head))
        model.compile(optimizer=keras.optimizers.Adam(3e-3))
        data = {"x": {"images": images, "labels": labels}}
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    # 20 steps: the loss scale starts at 2**15 and first halves on each overflowing step.
    history = model.fit(**data, epochs=20, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)), losses
    assert losses[-1] < losses[0]
    assert all(np.all(np.isfinite(keras.ops.convert_to_numpy(w))) for w in model.weights)
