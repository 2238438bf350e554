"""The exported SavedModel: the Transform graph and the embedding model, behind three signatures.

- `serving_default`: `images`, encoded image bytes `[None]` -> `embedding` `[None, D]`;
- `embed_examples`: `examples`, serialized tf.Examples `[None]` -> `embedding` `[None, D]`;
- `embed_pixels`: `pixels`, Transform's images decoded, uint8 `[None, S, S, 3]` -> `embedding`
  `[None, D]`: the normalisation and the model, without the decoding, cropping and resizing, which
  the Pusher converts to ONNX and TFLite (the names: `tfx_module/signatures.py`).

Embeddings are L2-normalised float32. Images go through the very Transform graph the training
data went through, so serving cannot drift from training; the margin head and the label exist
only in training and are not in the export.

Example:

    model = tf.saved_model.load(export_dir)
    model.signatures["serving_default"](images=tf.constant([jpeg_bytes]))["embedding"]  # [1, D]
"""

import tensorflow as tf

import arcface_module
from tfx_module.preprocessing import IMAGE_KEY, decode_pixels, normalize
from tfx_module.signatures import (
    EMBEDDING_KEY,
    EXAMPLES_SIGNATURE,
    PIXELS_INPUT,
    PIXELS_SIGNATURE,
    SERVING_SIGNATURE,
)


class EmbeddingExport(tf.Module):
    """What is saved: the Transform graph and an embedding model (images -> embeddings).

    Args:
        embedder: a Keras model from normalised images to L2-normalised embeddings.
        tft_output: the `tft.TFTransformOutput` of the Transform the training data went through.
        transform: the pipeline config's `transform` section (a `TransformConfig`): how Transform's images are
            decoded and normalised for the model, as in training (`preprocessing.model_images`).
        image_feature, label_feature: names of the raw record features (the data config's).
    """

    def __init__(self, embedder, tft_output, transform, image_feature, label_feature):
        super().__init__()
        self.embedder = embedder
        self._transform = transform
        self.tft_layer = tft_output.transform_features_layer()
        spec = tft_output.raw_feature_spec()
        spec.pop(label_feature)  # serving has no label
        self._image_feature = image_feature
        self._image_shape = list(spec[image_feature].shape)
        self._feature_spec = spec
        size = transform.image_size
        self.embed_pixels = tf.function(
            self._embed_pixels, input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8, name=PIXELS_INPUT)])

    def _embed_pixels(self, pixels):
        # preprocessing.model_images, after its decoding: the normalisation the training input does.
        normalised = normalize(pixels, self._transform.normalize_mean, self._transform.normalize_std)
        return {EMBEDDING_KEY: self.embedder(normalised)}

    def _embed(self, raw_features):
        encoded = self.tft_layer(raw_features)[IMAGE_KEY]
        return self._embed_pixels(decode_pixels(encoded, self._transform.image_size))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def embed_images(self, images):
        return self._embed({self._image_feature: tf.reshape(images, [-1] + self._image_shape)})

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def embed_examples(self, examples):
        return self._embed(tf.io.parse_example(examples, self._feature_spec))


def export_embedding_model(backbone, tft_output, transform, data, export_dir, flip_test_time_augmentation=False):
    """Saves the serving SavedModel of a trained backbone to `export_dir`.

    Args:
        backbone: the trained Keras backbone (images -> unnormalised embeddings).
        tft_output: the `tft.TFTransformOutput` of the training data's Transform.
        transform: the pipeline config's `transform` section (a `TransformConfig`).
        data: the pipeline config's `data` section (a `DataConfig`: `image_feature`, `label_feature`).
        export_dir: where to write the SavedModel.
        flip_test_time_augmentation: embed image + mirror image (`embedding_model`'s `flip_test`).
    """
    embedder = arcface_module.embedding_model(backbone, flip_test=flip_test_time_augmentation)
    export = EmbeddingExport(embedder, tft_output, transform, data.image_feature, data.label_feature)
    tf.saved_model.save(
        export,
        export_dir,
        signatures={SERVING_SIGNATURE: export.embed_images, EXAMPLES_SIGNATURE: export.embed_examples,
                    PIXELS_SIGNATURE: export.embed_pixels},
    )
