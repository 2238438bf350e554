"""The transformed face set the Trainer and input-pipeline benchmarks train on, made once per run.

Synthetic faces are transformed at the training image size by `faces.transform_faces`.
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from configs.model import TransformConfig
from tfx_module.preprocessing import IDENTITY_VOCABULARY, IMAGE_KEY, LABEL_KEY, model_images
from bench import faces


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """Transformed training examples, and what the Trainer reads beside them."""

    transformed: faces.Transformed
    num_images: int
    transform: TransformConfig  # the config's `transform` section they were made with

    @property
    def tft_output(self):
        return tft.TFTransformOutput(self.transformed.transform_graph)

    @property
    def num_classes(self):
        return self.tft_output.vocabulary_size_by_name(IDENTITY_VOCABULARY)

    @property
    def schema(self):
        return self.tft_output.transformed_metadata.schema

    def decoded(self):
        """Every transformed image and class id, decoded into memory as the model reads them:
        (normalised images, class_ids)."""
        spec = self.tft_output.transformed_feature_spec()
        dataset = tf.data.TFRecordDataset(self.transformed.files, compression_type="GZIP")
        parsed = dataset.batch(256).map(lambda records: tf.io.parse_example(records, spec))
        batches = [(model_images(b[IMAGE_KEY], self.transform), b[LABEL_KEY]) for b in parsed]
        return (np.concatenate([images.numpy() for images, _ in batches]),
                np.concatenate([labels.numpy() for _, labels in batches]))


def prepare(scratch_dir, settings):
    """Makes (once) and returns the transformed faces of the `training_data` settings."""
    directory = os.path.join(scratch_dir, "training-data")
    output = faces.Transformed.at(directory)
    if not os.path.isdir(output.examples):
        raw_pattern = faces.raw_faces(
            os.path.join(directory, "raw"), settings["identities"],
            settings["images_per_identity"], settings["source_image_size"])
        faces.transform_faces(raw_pattern, directory, settings["image_size"])
    return TrainingData(output, settings["identities"] * settings["images_per_identity"],
                        faces.transform_config(settings["image_size"]))
