"""A pushed model as a user holds it: a version folder, the threshold shipped in it, and a runtime.

Nothing of the pipeline is needed. A version holds the SavedModel (encoded images in, its own
preprocessing inside) and, when the Pusher was given `pusher.formats`, `model.onnx` and TFLite
files that take preprocessed pixels, with `preprocessing.json` saying how to make them
(serving/formats.py, serving/preprocessing.py). `verification.json` holds the similarity
threshold the evaluator chose. Every runtime returns L2-normalised embeddings: the Pusher
publishes only versions whose formats give the SavedModel's.

The runtime is `auto` by default: ONNX Runtime when the version holds `model.onnx` (no
TensorFlow is imported: a cold start in well under a second and a half), else the SavedModel in
TensorFlow; or any of `saved_model`, `onnx`, `tflite`, `tflite_fp16`, `tflite_int8`.

Example:
    >>> model = PushedModel("runs/demo/serving/arcface")      # the newest version, as TF Serving picks
    >>> similarity = model.similarity(open("a.jpg", "rb").read(), open("b.jpg", "rb").read())
    >>> similarity >= model.threshold                         # same person?
"""

import os
from typing import Sequence

import numpy as np

from face_data.conversion.images import MAX_PIXELS
from serving import verification_file
from serving.formats import FORMATS
from serving.model_folder import SAVED_MODEL_FILE, exists, latest_version_dir
from serving.runtimes import format_embedder

AUTO, SAVED_MODEL = "auto", "saved_model"
RUNTIMES = (AUTO, SAVED_MODEL, *FORMATS)


def version_dir(path: str) -> str:
    """`path` itself if it is a version folder (holds saved_model.pb), else its newest version."""
    if exists(os.path.join(path, SAVED_MODEL_FILE)):
        return path
    if not exists(path):  # not "no versions in it": there is nothing there at all
        raise FileNotFoundError(f"{path}: expected a pushed model folder (<serving_dir>/<model_name>, or one of its "
                                "version folders), got no such folder")
    return latest_version_dir(path)


def _runtime(folder: str, runtime: str) -> str:
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime: expected one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if runtime != AUTO:
        return runtime
    return "onnx" if exists(os.path.join(folder, FORMATS["onnx"].file)) else SAVED_MODEL


class PushedModel:
    """Loads a pushed version (or the newest version of a model folder), its threshold and a runtime;
    images whose header claims more than `max_pixels` pixels are refused."""

    def __init__(self, path: str, runtime: str = AUTO, max_pixels: int = MAX_PIXELS):
        self.path = version_dir(path)
        self.threshold = verification_file.read_threshold(self.path)  # a damaged file refused before loading
        self.runtime = _runtime(self.path, runtime)
        if self.runtime == SAVED_MODEL:
            from serving.saved_model import SavedModelEmbedder  # imports TensorFlow: only this runtime needs it

            self._embedder = SavedModelEmbedder(self.path, max_pixels)
        else:
            self._embedder = format_embedder(self.path, self.runtime, max_pixels)

    def embed(self, images: Sequence[bytes]) -> np.ndarray:
        """Encoded images (any format Pillow reads) -> [N, dim] L2-normalised float32 embeddings."""
        return self._embedder.embed(images)

    def similarity(self, image_a: bytes, image_b: bytes) -> float:
        """Cosine similarity of two faces' embeddings (their dot product: the model normalises them)."""
        embedding_a, embedding_b = self.embed([image_a, image_b])
        return float(embedding_a @ embedding_b)
