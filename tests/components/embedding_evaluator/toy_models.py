"""Small stand-ins for the pipeline's inputs: face records of coloured squares and SavedModels that embed them.

A toy model has the trained model's two signatures (`embed_examples`: serialized tf.Examples,
`serving_default`: encoded images; both -> `embedding`) but no weights: the "good" one embeds an
image as its mean colour, which tells the coloured identities apart; the "poor" one keeps only
the mean brightness, which mostly does not. Executors and commands can run on them in seconds.
"""

import io
import os

import numpy as np
import tensorflow as tf
from PIL import Image

from face_data.records import contract
from serving import verification_file

# One colour per identity, all of similar brightness so that brightness alone barely separates them.
COLOURS = np.array([[200, 60, 60], [60, 200, 60], [60, 60, 200], [180, 180, 40], [40, 180, 180], [180, 40, 180]])


def face_png(identity: int, image: int, size: int = 8) -> bytes:
    """A noisy square of identity's colour; image numbers draw different noise."""
    rng = np.random.default_rng([identity, image])
    pixels = COLOURS[identity % len(COLOURS)] + rng.normal(0, 25, (size, size, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_face_records(path: str, num_identities: int, images_per_identity: int) -> None:
    """Face records (image + int label) in one GZIP TFRecord file, as ExampleGen writes them."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for identity in range(num_identities):
            for image in range(images_per_identity):
                writer.write(contract.make_face_example(face_png(identity, image), identity).SerializeToString())


def write_pair_records(path: str, pairs) -> None:
    """Pair records from (identity_a, image_a, identity_b, image_b) tuples, GZIP TFRecord."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for identity_a, image_a, identity_b, image_b in pairs:
            example = contract.make_pair_example(face_png(identity_a, image_a), face_png(identity_b, image_b),
                                                is_same=identity_a == identity_b)
            writer.write(example.SerializeToString())


class _ToyEmbedder(tf.Module):
    def __init__(self, good: bool):
        super().__init__()
        self._good = good

    def _embed(self, images):
        pixels = tf.map_fn(lambda data: tf.cast(tf.io.decode_png(data, channels=3), tf.float32) / 255.0,
                           images, fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32))
        colour = tf.reduce_mean(pixels, axis=[1, 2]) - 0.5
        if not self._good:
            colour = tf.stack([tf.reduce_mean(colour, axis=1), tf.fill([tf.shape(colour)[0]], 0.05)], axis=1)
        return {"embedding": tf.math.l2_normalize(colour, axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def embed_images(self, images):
        return self._embed(images)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def embed_examples(self, examples):
        parsed = tf.io.parse_example(examples, {"image": tf.io.FixedLenFeature([], tf.string)})
        return self._embed(parsed["image"])


def save_toy_model(model_dir: str, good: bool = True) -> str:
    """Saves a toy embedding SavedModel with the trained model's signatures into `model_dir`."""
    module = _ToyEmbedder(good)
    tf.saved_model.save(module, model_dir, signatures={"serving_default": module.embed_images,
                                                       "embed_examples": module.embed_examples})
    return model_dir


def save_toy_version(version_dir: str, threshold: float = 0.5) -> str:
    """A pushed version of the good toy model, as serving reads one: the SavedModel and its verification.json."""
    save_toy_model(version_dir)
    verification_file.write(version_dir, {"threshold": threshold, "criterion": "best_accuracy"}, "toy", [])
    return version_dir
