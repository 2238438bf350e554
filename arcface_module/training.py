"""TFX Trainer module: trains backbone + ArcFace head and exports the embedding SavedModel.

The exported model takes what serving has, encoded image bytes (or serialized tf.Examples), runs
the Transform graph on them and returns L2-normalised embeddings. The ArcFace head and the label
exist only during training.
"""

import os

import keras
import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

import arcface_module
from arcface_module.preprocessing import IDENTITY_VOCABULARY, IMAGE_KEY, LABEL_KEY

SERVING_SIGNATURE = "serving_default"
EXAMPLES_SIGNATURE = "embed_examples"
EMBEDDING_KEY = "embedding"


def _dataset(fn_args, tft_output, batch_size, seed):
    dataset = fn_args.data_accessor.tf_dataset_factory(
        fn_args.train_files,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, shuffle_seed=seed),
        tft_output.transformed_metadata.schema,
    )

    def to_pair(features):
        images = tf.image.random_flip_left_right(features[IMAGE_KEY], seed=seed)
        return images, tf.reshape(features[LABEL_KEY], [-1])

    return dataset.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


class EmbeddingExport(tf.Module):
    """What is saved: the Transform graph + the embedding model, behind two signatures."""

    def __init__(self, embedder, tft_output, image_feature, label_feature):
        super().__init__()
        self.embedder = embedder
        self.tft_layer = tft_output.transform_features_layer()
        spec = tft_output.raw_feature_spec()
        spec.pop(label_feature)  # serving has no label
        self._image_feature = image_feature
        self._image_shape = list(spec[image_feature].shape)
        self._feature_spec = spec

    def _embed(self, raw_features):
        transformed = self.tft_layer(raw_features)
        return {EMBEDDING_KEY: self.embedder(transformed[IMAGE_KEY])}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def embed_images(self, images):
        return self._embed({self._image_feature: tf.reshape(images, [-1] + self._image_shape)})

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def embed_examples(self, examples):
        return self._embed(tf.io.parse_example(examples, self._feature_spec))


def run_fn(fn_args: tfx.components.FnArgs):
    """`fn_args.custom_config` holds the pipeline config's `trainer` and `data` sections."""
    trainer, data = fn_args.custom_config["trainer"], fn_args.custom_config["data"]
    keras.utils.set_random_seed(trainer["seed"])
    tft_output = tft.TFTransformOutput(fn_args.transform_output)
    num_classes = tft_output.vocabulary_size_by_name(IDENTITY_VOCABULARY)
    image_size = tft_output.transformed_feature_spec()[IMAGE_KEY].shape[0]

    backbone = arcface_module.get_backbone(
        trainer["backbone"],
        num_features=trainer["embedding_size"],
        input_shape=(image_size, image_size, 3),
    )
    model = keras.Sequential([backbone, arcface_module.ArcFaceLayer(num_classes)])
    model.compile(
        optimizer=keras.optimizers.Adam(trainer["learning_rate"]),
        loss=arcface_module.ArcFaceLoss(margin=trainer["margin"], scale=trainer["scale"]),
    )
    model.fit(
        _dataset(fn_args, tft_output, trainer["batch_size"], trainer["seed"]),
        steps_per_epoch=fn_args.train_steps,
        epochs=1,
        callbacks=[
            keras.callbacks.TerminateOnNaN(),
            keras.callbacks.TensorBoard(fn_args.model_run_dir, update_freq="epoch"),
        ],
        verbose=2,
    )
    export = EmbeddingExport(
        arcface_module.embedding_model(backbone),
        tft_output,
        data["image_feature"],
        data["label_feature"],
    )
    tf.saved_model.save(
        export,
        fn_args.serving_model_dir,
        signatures={
            SERVING_SIGNATURE: export.embed_images,
            EXAMPLES_SIGNATURE: export.embed_examples,
        },
    )
