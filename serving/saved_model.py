"""The SavedModel of a pushed version in TensorFlow: encoded images -> embeddings (`serving_default`).

The SavedModel holds its preprocessing (decode, resize, normalise), so it takes the encoded
files. Images go through the same check as the face records the model was trained on (Pillow:
PGM, 16-bit, RGBA... become 8-bit PNG), since the model's decoder reads only PNG, JPEG, BMP and GIF.

Example:
    >>> SavedModelEmbedder("runs/demo/serving/arcface/1796540000").embed([open("a.jpg", "rb").read()]).shape
    (1, 128)
"""

from typing import Sequence

import numpy as np
import tensorflow as tf

from face_data.conversion.images import MAX_PIXELS, check_image
from serving.runtimes import damaged_file
from tfx_module.signatures import SERVING_SIGNATURE


class SavedModelEmbedder:
    """The `serving_default` signature of a SavedModel folder: encoded images -> embeddings."""

    def __init__(self, folder: str, max_pixels: int = MAX_PIXELS):
        self.max_pixels = max_pixels
        with damaged_file(folder):
            self._saved_model = tf.saved_model.load(folder)  # owns the variables the signature uses
        self._embed = self._saved_model.signatures[SERVING_SIGNATURE]
        # One input (encoded images) and one output (the embedding), whatever their names.
        (self._input,) = self._embed.structured_input_signature[1]
        (self._output,) = self._embed.structured_outputs

    def embed(self, images: Sequence[bytes], batch_size: int = 64) -> np.ndarray:
        """Encoded images (any format Pillow reads) -> [N, dim] float32 embeddings."""
        if not images:
            raise ValueError("expected at least one image to embed, got none")
        prepared = [check_image(image, self.max_pixels).data for image in images]
        batches = [self._embed(**{self._input: tf.constant(prepared[start:start + batch_size])})[self._output].numpy()
                   for start in range(0, len(prepared), batch_size)]
        return np.concatenate(batches)
