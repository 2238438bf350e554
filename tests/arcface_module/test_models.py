"""embedding_model: unit-norm float32 embeddings, no label input; training_model's inputs."""

import keras
import numpy as np

import arcface_module


def _images(count, seed=0):
    return np.random.default_rng(seed).normal(size=(count, 32, 32, 3)).astype("float32")


def test_embedding_model_normalises_the_backbone_output():
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    embedder = arcface_module.embedding_model(backbone)
    raw = keras.ops.convert_to_numpy(backbone(_images(4), training=False))
    embeddings = keras.ops.convert_to_numpy(embedder(_images(4), training=False))
    expected = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(embeddings, expected, atol=1e-6)
    assert len(embedder.inputs) == 1 and embedder.input_shape == (None, 32, 32, 3)
    # The backbone is shared, not copied.
    assert {id(w) for w in backbone.weights} == {id(w) for w in embedder.weights}


def test_flip_test_embeds_the_normalised_sum_of_image_and_mirror():
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    embedder = arcface_module.embedding_model(backbone, flip_test=True)
    images = _images(4)
    mirrored = images[:, :, ::-1]
    raw = keras.ops.convert_to_numpy(backbone(images, training=False) + backbone(mirrored, training=False))
    embeddings = keras.ops.convert_to_numpy(embedder(images, training=False))
    np.testing.assert_allclose(embeddings, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(embedder(mirrored, training=False)), embeddings, atol=1e-5)


def test_embedding_model_of_a_trained_seed_style_model_has_no_label_input():
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    model = keras.Sequential([backbone, arcface_module.ArcFaceLayer(3)])
    embedder = arcface_module.embedding_model(model.layers[0])
    assert [tuple(i.shape) for i in embedder.inputs] == [(None, 32, 32, 3)]
    assert not any(isinstance(l, arcface_module.ArcFaceLayer) for l in embedder.layers)


def test_embedding_model_is_float32_under_mixed_float16(mixed_float16):
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    embeddings = arcface_module.embedding_model(backbone)(_images(2), training=False)
    assert keras.backend.standardize_dtype(embeddings.dtype) == "float32"
    norms = np.linalg.norm(keras.ops.convert_to_numpy(embeddings), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


def test_training_model_takes_images_and_labels_and_outputs_the_loss():
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    model = arcface_module.training_model(backbone, arcface_module.MarginHead(4))
    assert sorted(model.input) == ["images", "labels"]
    loss = model({"images": _images(3), "labels": np.array([0, 3, 1], "int64")})
    assert tuple(loss.shape) == (3,)
