"""A pushed model as a user holds it: the SavedModel folder and the threshold shipped beside it.

Nothing of the pipeline is needed: the SavedModel holds the preprocessing (decode, resize,
normalise) and its `serving_default` signature maps encoded image bytes to L2-normalised
embeddings; `verification.json` beside it holds the similarity threshold the evaluator chose.
Images go through the same check as the face records the model was trained on (Pillow: PGM,
16-bit, RGBA... become 8-bit PNG), since the model's decoder reads only PNG, JPEG, BMP and GIF.

Example:
    >>> model = PushedModel("runs/demo/serving/arcface")      # the newest version, as TF Serving picks
    >>> similarity = model.similarity(open("a.jpg", "rb").read(), open("b.jpg", "rb").read())
    >>> similarity >= model.threshold                         # same person?
"""

import os
from typing import Sequence

import numpy as np
import tensorflow as tf

from serving import verification_file
from face_data.images import check_image
from serving.model_folder import SAVED_MODEL_FILE, latest_version_dir
from tfx_module.signatures import SERVING_SIGNATURE


def version_dir(path: str) -> str:
    """`path` itself if it is a version folder (holds saved_model.pb), else its newest version."""
    if tf.io.gfile.exists(os.path.join(path, SAVED_MODEL_FILE)):
        return path
    return latest_version_dir(path)


class SavedModelEmbedder:
    """The `serving_default` signature of a SavedModel folder: encoded images -> embeddings."""

    def __init__(self, folder: str):
        self._saved_model = tf.saved_model.load(folder)  # owns the variables the signature uses
        self._embed = self._saved_model.signatures[SERVING_SIGNATURE]
        # One input (encoded images) and one output (the embedding), whatever their names.
        (self._input,) = self._embed.structured_input_signature[1]
        (self._output,) = self._embed.structured_outputs

    def embed(self, images: Sequence[bytes], batch_size: int = 64) -> np.ndarray:
        """Encoded images (any format Pillow reads) -> [N, dim] float32 embeddings."""
        if not images:
            raise ValueError("expected at least one image to embed, got none")
        prepared = [check_image(image).data for image in images]
        batches = [self._embed(**{self._input: tf.constant(prepared[start:start + batch_size])})[self._output].numpy()
                   for start in range(0, len(prepared), batch_size)]
        return np.concatenate(batches)


class PushedModel(SavedModelEmbedder):
    """Loads a pushed version (or the newest version of a model folder) and its threshold.

    `embed` returns L2-normalised embeddings: the Pusher publishes only models that do.
    """

    def __init__(self, path: str):
        self.path = version_dir(path)
        self.threshold = verification_file.read_threshold(self.path)
        super().__init__(self.path)

    def similarity(self, image_a: bytes, image_b: bytes) -> float:
        """Cosine similarity of two faces' embeddings (their dot product: the model normalises them)."""
        embedding_a, embedding_b = self.embed([image_a, image_b])
        return float(embedding_a @ embedding_b)
