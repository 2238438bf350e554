"""The embedding model exports as a TensorFlow SavedModel with an explicit signature, as the
pipeline's Trainer does (TensorFlow backend only: SavedModel is TensorFlow's format)."""

import keras
import numpy as np
import tensorflow as tf

import arcface_module


def test_embedding_model_exports_as_a_saved_model(tmp_path):
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    embedder = arcface_module.embedding_model(backbone)
    serve = tf.function(
        lambda images: {"embedding": embedder(images, training=False)},
        input_signature=[tf.TensorSpec((None, 32, 32, 3), tf.float32, name="images")],
    )
    module = tf.Module()
    module.embedder = embedder
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": serve})
    signature = tf.saved_model.load(str(tmp_path)).signatures["serving_default"]
    assert list(signature.structured_input_signature[1]) == ["images"]
    images = np.random.default_rng(0).normal(size=(3, 32, 32, 3)).astype("float32")
    exported = signature(images=tf.constant(images))["embedding"].numpy()
    expected = keras.ops.convert_to_numpy(embedder(images, training=False))
    np.testing.assert_allclose(exported, expected, atol=1e-6)
