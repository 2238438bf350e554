"""`verification.json`: the decision rule that travels with a model, so serving decides as evaluation did.

The EmbeddingEvaluator writes it into the ModelBlessing, the VersionedPusher copies it beside the
pushed SavedModel, and `python -m serving` reads it there. It is a file rather than an
artifact property because ML Metadata keeps floats to 6 decimals; the threshold must stay exact.

It holds the `threshold` and the operating point it was chosen for (`operating_point`: the
criterion, a target FAR or the best accuracy, and the FAR and FRR measured there on the eval
pairs, with their confidence intervals and the pair counts they rest on).

Example:
    >>> write("/pipeline/EmbeddingEvaluator/blessing/9", OperatingPoint(...).as_dict(), model_uri="...",
    ...       checks=["PASS ..."])
    >>> read_threshold("/srv/models/arcface/1760000000")
    0.7912
"""

import json
import math
import os
from typing import List, Mapping

from serving import model_folder
from tfx_module.signatures import EMBEDDING_KEY, SERVING_SIGNATURE

FILE_NAME = "verification.json"
DECISION = "same person if the cosine similarity of the two embeddings >= threshold"
SIGNATURE = f"{SERVING_SIGNATURE}: images (encoded image bytes) -> {EMBEDDING_KEY} (L2-normalised)"


def write(folder: str, operating_point: Mapping, model_uri: str, checks: List[str]) -> None:
    """Writes the threshold, how to apply it, its operating point, the model and the blessing checks.

    `operating_point` is `OperatingPoint.as_dict()`, or {"refused": why} when the pairs could not
    resolve the FAR asked for: the threshold is then null, and the model is not blessed.
    """
    import tensorflow as tf  # here, not at the top: serving reads the file without TensorFlow

    content = {"threshold": operating_point.get("threshold"), "decision": DECISION, "signature": SIGNATURE,
               "operating_point": dict(operating_point), "model": model_uri, "checks": checks}
    tf.io.gfile.makedirs(folder)
    with tf.io.gfile.GFile(os.path.join(folder, FILE_NAME), "w") as file:
        file.write(json.dumps(content, indent=2))


def read_text(folder: str) -> str:
    """The file's text; FileNotFoundError naming the folder when it has none."""
    try:
        return model_folder.read_text(os.path.join(folder, FILE_NAME))
    except FileNotFoundError:
        raise _missing(folder) from None


def read(folder: str) -> dict:
    """The whole file, as a dict; ValueError naming the file when it is not a JSON object."""
    path = os.path.join(folder, FILE_NAME)
    try:
        content = json.loads(read_text(folder))
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path}: expected the JSON the EmbeddingEvaluator writes, got a damaged file ({error})") \
            from None
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a JSON object with a threshold, got {type(content).__name__}")
    return content


def _missing(folder: str) -> FileNotFoundError:
    return FileNotFoundError(f"{folder}: expected {FILE_NAME}, written by the EmbeddingEvaluator with the "
                             "blessing and copied beside the model by the Pusher; found none")


def read_threshold(folder: str) -> float:
    """The similarity threshold at and above which two faces are the same person; ValueError naming
    the file and the key when it is missing, null (a refused operating point) or not a number."""
    content = read(folder)
    where = f"{os.path.join(folder, FILE_NAME)}: threshold"
    if "threshold" not in content:
        raise ValueError(f"{where}: expected the similarity threshold, found no such key")
    threshold = content["threshold"]
    if threshold is None:
        point = content.get("operating_point")
        refused = point.get("refused", "no reason given") if isinstance(point, dict) else "no reason given"
        raise ValueError(f"{where}: null, the evaluator chose none ({refused}); this version was not blessed")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise ValueError(f"{where}: expected a number, got {threshold!r}")
    return float(threshold)
