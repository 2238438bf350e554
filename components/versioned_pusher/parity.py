"""Parity before publishing: every format of a version must serve the SavedModel's embeddings.

`check_formats` embeds the same probe faces (real faces from the eval split) with the SavedModel
(image bytes in, its own preprocessing) and with each other format (`preprocessing.json` in
NumPy, then ONNX Runtime or LiteRT), as a user of each would. The SavedModel must give finite
unit vectors, and each exact (float32) format the same embeddings, cosine >= MIN_COSINE for every
face; otherwise ValueError names the formats that disagree and the version is not published.
The quantised TFLite files are allowed to differ: `pair_accuracy` reports what each format
gives on the eval pairs, for verification.json.

Example:
    >>> check_formats("/srv/models/arcface/.partial-1796540000-...", ["onnx", "tflite"], probe_faces)
    {'onnx': {'file': 'model.onnx', 'min_cosine': 0.9999998, 'mean_cosine': 0.9999999}, ...}
"""

from typing import Dict, Sequence

import numpy as np

from components.embedding_evaluator import model_metrics
from components.embedding_evaluator.catalog import VERIFICATION_ACCURACY
from serving.formats import FORMATS, MIN_COSINE
from serving.runtimes import format_embedder
from serving.saved_model import SavedModelEmbedder
from verification import metrics

SAVED_MODEL = "saved_model"
MAX_NORM_ERROR = 1e-3


def _saved_model_embeddings(folder: str, images: Sequence[bytes]) -> np.ndarray:
    embeddings = SavedModelEmbedder(folder).embed(images)
    norms = np.linalg.norm(embeddings, axis=1)
    if not np.all(np.isfinite(embeddings)) or np.any(np.abs(norms - 1) > MAX_NORM_ERROR):
        worst = int(np.argmax(np.where(np.isfinite(norms), np.abs(norms - 1), np.inf)))
        raise ValueError(f"{folder}: not pushed: serving_default embeds probe image {worst} as a vector of norm "
                         f"{norms[worst]} (first values {embeddings[worst][:4].tolist()}); expected a finite "
                         "L2-normalised embedding")
    return embeddings


def _format_embeddings(folder: str, name: str, images: Sequence[bytes]) -> np.ndarray:
    try:
        return format_embedder(folder, name).embed(images)
    except Exception as error:  # whatever the runtime raises on a damaged file, say which format it was
        raise ValueError(f"{folder}: not pushed: format '{name}' ({FORMATS[name].file}) does not run: "
                         f"{type(error).__name__}: {error}") from error


def check_formats(folder: str, formats: Sequence[str], probe_faces: Sequence[bytes]) -> Dict[str, dict]:
    """Each format's cosine with the SavedModel on `probe_faces`; raises ValueError if an exact format differs."""
    reference = _saved_model_embeddings(folder, probe_faces)
    report, failures = {}, []
    for name in formats:
        cosines = metrics.cosine_similarities(reference, _format_embeddings(folder, name, probe_faces))
        report[name] = {"file": FORMATS[name].file, "min_cosine": float(cosines.min()),
                        "mean_cosine": float(cosines.mean())}
        if FORMATS[name].exact and not np.all(cosines >= MIN_COSINE):  # NaN fails too
            worst = int(np.nanargmin(cosines)) if not np.all(np.isnan(cosines)) else 0
            failures.append(f"format '{name}' ({FORMATS[name].file}) gives probe face {worst} an embedding at "
                            f"cosine {cosines[worst]:.6f} from the SavedModel's (expected >= {MIN_COSINE} for every "
                            f"one of the {len(probe_faces)} probe faces)")
    if failures:
        raise ValueError(f"{folder}: not pushed: " + "; ".join(failures))
    return report


def pair_accuracy(folder: str, formats: Sequence[str], images: Sequence[bytes], labels: np.ndarray,
                  max_positive_pairs: int, seed: int) -> Dict[str, float]:
    """LFW 10-fold verification accuracy of the SavedModel and each format on pairs of `images`.

    The pairs are drawn as the EmbeddingEvaluator draws them from the eval split (same
    `max_positive_pairs` and `seed`), so the SavedModel's figure is the evaluator's.
    """
    index_a, index_b, is_same = metrics.make_pairs(labels, max_positive_pairs=max_positive_pairs, seed=seed)
    accuracy = {}
    for name in (SAVED_MODEL, *formats):
        embeddings = (SavedModelEmbedder(folder).embed(images) if name == SAVED_MODEL
                      else _format_embeddings(folder, name, images))
        scores = metrics.cosine_similarities(embeddings[index_a], embeddings[index_b])
        accuracy[name] = model_metrics.verification_metrics(scores, is_same, seed)[VERIFICATION_ACCURACY]
    return accuracy
