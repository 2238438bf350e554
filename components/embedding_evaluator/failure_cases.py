"""The hardest mistakes at the shipped threshold: the pairs to look at when a model disappoints.

For each set of pairs, the different-identity pairs with the highest similarity among those
accepted (false accepts) and the same-identity pairs with the lowest among those rejected (false
rejects), at most `COUNT` of each. `write_hardest` finds them and reads their images back from
the records; `write` puts both images of each as a PNG thumbnail into the evaluation artifact, `failure_cases/<set>/false_accept_00_a.png` ..., and describes them in
`failure_cases.json`:

    {"eval": {"threshold": 0.41,
              "false_accepts": [{"similarity": 0.73, "image_a": "failure_cases/eval/false_accept_00_a.png",
                                 "image_b": "...", "label_a": "17", "label_b": "42"}, ...],
              "false_rejects": [...]},
     "lfw": {...}}

Example:
    >>> hardest(np.array([0.9, 0.2, 0.8, 0.6]), np.array([True, True, False, False]), threshold=0.5)
    (array([2, 3]), array([1]))
"""

import io
import json
import os
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from PIL import Image
from tfx.dsl.io import fileio

from arcface_module.catalog import FACE_SIZE
from components.embedding_evaluator import catalog, embedding
from face_data.records import contract

COUNT = 16
THUMBNAIL_SIZE = FACE_SIZE  # pixels on the longer side: insightface's face crop
FOLDER, FILE_NAME = catalog.FAILURE_CASES_FOLDER, catalog.FAILURE_CASES_FILE
KINDS = ("false_accepts", "false_rejects")


def hardest(scores, is_same, threshold: float, count: int = COUNT) -> Tuple[np.ndarray, np.ndarray]:
    """Indices of the hardest false accepts (highest score first) and false rejects (lowest first)."""
    scores, is_same = np.asarray(scores), np.asarray(is_same, dtype=bool)
    accepted = scores >= threshold
    false_accepts = np.flatnonzero(accepted & ~is_same)
    false_rejects = np.flatnonzero(~accepted & is_same)
    # Stable sorts: among equal scores the earlier pair comes first, in every run.
    false_accepts = false_accepts[np.argsort(-scores[false_accepts], kind="stable")][:count]
    false_rejects = false_rejects[np.argsort(scores[false_rejects], kind="stable")][:count]
    return false_accepts, false_rejects


def thumbnail(image: bytes) -> bytes:
    """A PNG of the encoded image, at most THUMBNAIL_SIZE pixels on each side."""
    with Image.open(io.BytesIO(image)) as opened:
        opened.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        output = io.BytesIO()
        opened.save(output, format="PNG")
    return output.getvalue()


def _label(label) -> Optional[str]:
    if label is None:
        return None
    return label.decode("utf-8", "replace") if isinstance(label, bytes) else str(label)


def write(artifact_uri: str, cases: Mapping[str, dict], images: Mapping[str, Sequence[tuple]]) -> None:
    """Writes the thumbnails and failure_cases.json into the evaluation artifact.

    Args:
        artifact_uri: the ModelEvaluation's folder.
        cases: set name -> {"threshold", "threshold_name", "false_accepts": [similarity...], "false_rejects": [...]}.
        images: set name -> kind -> one (image_a, image_b, label_a, label_b) per similarity, in order.
    """
    description: Dict[str, dict] = {}
    for name, case in cases.items():
        entry = {"threshold": case["threshold"], "threshold_name": case["threshold_name"]}
        for kind in KINDS:
            rows = []
            for index, (similarity, (image_a, image_b, label_a, label_b)) in enumerate(
                    zip(case[kind], images[name][kind])):
                row = {"similarity": float(similarity), "label_a": _label(label_a), "label_b": _label(label_b)}
                for side, image in (("a", image_a), ("b", image_b)):
                    relative = f"{FOLDER}/{name}/{kind[:-1]}_{index:02d}_{side}.png"
                    fileio.makedirs(os.path.dirname(os.path.join(artifact_uri, relative)))
                    with fileio.open(os.path.join(artifact_uri, relative), "wb") as file:
                        file.write(thumbnail(image))
                    row[f"image_{side}"] = relative
                rows.append(row)
            entry[kind] = rows
        description[name] = entry
    with fileio.open(os.path.join(artifact_uri, FILE_NAME), "w") as file:
        file.write(json.dumps(description, indent=2))


def _records_by_key(pattern: str, wanted: set) -> Dict[bytes, bytes]:
    """The serialized records of the files matching `pattern` whose record_key is in `wanted`."""
    found = {}
    for path in fileio.glob(pattern):
        # As Beam's ReadFromTFRecord: compressed or not by the file's extension.
        compression = "GZIP" if path.endswith(".gz") else ""
        for serialized in tf.data.TFRecordDataset(path, compression_type=compression).as_numpy_iterator():
            key = embedding.record_key(serialized)
            if key in wanted:
                found[key] = serialized
    return found


def write_hardest(artifact_uri: str, scored: Mapping, model: str, threshold, files: Mapping[str, str],
                  face_features: contract.FaceFeatures) -> None:
    """Finds the hardest failures of `model` on every set at `threshold` (a scoring.MarkedThreshold: its
    value, and its name, which says whether it was shipped) and writes them with their images.

    Args:
        scored: set name -> the executor's ScoredPairs (`scores[model]`, `is_same`, `record_keys`).
        files: set name -> the pattern of its records: face records for the eval split's pairs
            (`catalog.EVAL_PAIRS`), pair records for every named set.
    """
    cases, images = {}, {}
    for name, pairs in scored.items():
        scores = pairs.scores[model]
        chosen = dict(zip(KINDS, hardest(scores, pairs.is_same, threshold.value)))
        wanted = {key for indices in chosen.values() for key in pairs.record_keys[indices].ravel()}
        found = _records_by_key(files[name], wanted)

        def images_of(index):
            key_a, key_b = pairs.record_keys[index]
            if name == catalog.EVAL_PAIRS:
                face_a, face_b = (contract.parse_face_example(found[key], face_features) for key in (key_a, key_b))
                return face_a.image, face_b.image, face_a.label, face_b.label
            pair = contract.parse_pair_example(found[key_a])
            return pair.image_a, pair.image_b, pair.label_a, pair.label_b

        cases[name] = {"threshold": threshold.value, "threshold_name": threshold.name,
                       **{kind: scores[indices] for kind, indices in chosen.items()}}
        images[name] = {kind: [images_of(index) for index in indices] for kind, indices in chosen.items()}
    write(artifact_uri, cases, images)
