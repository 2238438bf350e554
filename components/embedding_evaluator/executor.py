"""EmbeddingEvaluator executor: embed in Beam, score, draw, bless.

Outputs, in the ModelEvaluation artifact:
  metrics.json              the candidate's metrics at the top level (see model_metrics.py), the
                            pairs and eval-split sizes, the URIs of the `model` and the
                            `baseline_model`, the baseline's metrics under "baseline" (null
                            without one), and the verdict under "blessed" and "checks";
  roc.png                   the candidate's ROC curve, linear and log FAR;
  similarity_histogram.png  same- and different-identity similarities, with the shipped threshold;
  embedding_map.png         the eval split's embeddings on their first two principal axes.
The ModelBlessing follows TFX's Evaluator (blessing.py) and carries the threshold to ship.
"""

import dataclasses
import json
import os
from typing import Any, Dict, List, Optional

import apache_beam as beam
import numpy as np
from tfx import types
from tfx.dsl.components.base import base_beam_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from components.embedding_evaluator import blessing, embedding, metrics, model_metrics, plots
from face_data import records

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
PAIRS_KEY = "pairs"
EVALUATION_KEY = "evaluation"
BLESSING_KEY = "blessing"
SPLIT_KEY = "split"
PAIRS_SPLIT_KEY = "pairs_split"
IMAGE_FEATURE_KEY = "image_feature"
LABEL_FEATURE_KEY = "label_feature"
MAX_POSITIVE_PAIRS_KEY = "max_positive_pairs"
SEED_KEY = "seed"
BLESSING_POLICY_KEY = "blessing_policy"

CANDIDATE, BASELINE = "candidate", "baseline"
METRICS_FILE = "metrics.json"
ROC_PLOT = "roc.png"
HISTOGRAM_PLOT = "similarity_histogram.png"
MAP_PLOT = "embedding_map.png"


def _split_files(artifact: types.Artifact, split: str) -> str:
    pattern = os.path.join(artifact_utils.get_split_uri([artifact], split), "*")
    if not fileio.glob(pattern):
        raise ValueError(f"split '{split}' of {artifact.uri}: expected TFRecord files at {pattern}, found none")
    return pattern


def _optional_single(input_dict, key) -> Optional[types.Artifact]:
    artifacts = input_dict.get(key) or []
    return artifact_utils.get_single_instance(artifacts) if artifacts else None


class Executor(base_beam_executor.BaseBeamExecutor):
    """Embeds with Beam, then computes every metric with NumPy on the collected embeddings."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]], output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        baseline_model = _optional_single(input_dict, BASELINE_MODEL_KEY)
        pairs = _optional_single(input_dict, PAIRS_KEY)
        model_dirs = {CANDIDATE: path_utils.serving_model_path(model.uri)}
        if baseline_model is not None:
            model_dirs[BASELINE] = path_utils.serving_model_path(baseline_model.uri)
        work_dir = self._get_tmp_dir()

        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        faces, pair_columns = self._embed(examples, pairs, model_dirs, exec_properties, work_dir)
        pairs_source = (f"external pairs {pairs.uri}" if pairs is not None
                        else f"eval split '{exec_properties[SPLIT_KEY]}' of {examples.uri}")
        evaluation = evaluate(faces, pair_columns, list(model_dirs), exec_properties[MAX_POSITIVE_PAIRS_KEY],
                              exec_properties[SEED_KEY], pairs_source)
        policy = blessing.BlessingPolicy(**json.loads(exec_properties[BLESSING_POLICY_KEY]))
        verdict = blessing.judge(policy, evaluation.results[CANDIDATE], evaluation.results.get(BASELINE))
        model_uris = {"model": model.uri, "baseline_model": baseline_model.uri if baseline_model is not None else None}
        write_evaluation(artifact_utils.get_single_instance(output_dict[EVALUATION_KEY]), evaluation, verdict,
                         work_dir, model_uris)
        blessing.write_blessing(artifact_utils.get_single_instance(output_dict[BLESSING_KEY]), model, baseline_model,
                                verdict, evaluation.results[CANDIDATE]["best_threshold"])

    def _embed(self, examples: types.Artifact, pairs: Optional[types.Artifact], model_dirs: Dict[str, str],
               exec_properties: Dict[str, Any], work_dir: str):
        """One Beam pipeline embeds the eval faces (and the pairs) with every model; returns their columns."""
        faces_prefix, pairs_prefix = os.path.join(work_dir, "faces"), os.path.join(work_dir, "pairs")
        face_features = records.FaceFeatures(exec_properties[IMAGE_FEATURE_KEY], exec_properties[LABEL_FEATURE_KEY])
        with self._make_beam_pipeline() as pipeline:
            _ = (pipeline
                 | "ReadFaces" >> beam.io.ReadFromTFRecord(_split_files(examples, exec_properties[SPLIT_KEY]))
                 | "EmbedFaces" >> embedding.EmbedRecords(model_dirs, embedding.FaceEmbedder(face_features))
                 | "WriteFaces" >> beam.io.WriteToTFRecord(faces_prefix, file_name_suffix=".gz"))
            if pairs is not None:
                _ = (pipeline
                     | "ReadPairs" >> beam.io.ReadFromTFRecord(_split_files(pairs, exec_properties[PAIRS_SPLIT_KEY]))
                     | "EmbedPairs" >> embedding.EmbedRecords(model_dirs, embedding.PairEmbedder())
                     | "WritePairs" >> beam.io.WriteToTFRecord(pairs_prefix, file_name_suffix=".gz"))
        faces = embedding.read_embeddings(fileio.glob(faces_prefix + "-*"))
        return faces, embedding.read_embeddings(fileio.glob(pairs_prefix + "-*")) if pairs is not None else None


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Every model's metrics on one set of pairs, and what the figures need of the candidate."""

    results: Dict[str, dict]  # model name -> model_metrics dict
    context: dict  # sizes and the source of the pairs, shared by all models
    candidate_scores: np.ndarray
    is_same: np.ndarray
    eval_embeddings: np.ndarray
    eval_labels: np.ndarray


def evaluate(faces: Dict[str, np.ndarray], pair_columns: Optional[Dict[str, np.ndarray]], model_names: List[str],
             max_positive_pairs: int, seed: int, pairs_source: str) -> Evaluation:
    """Scores each model on the same pairs: the external ones if given, else pairs drawn from the eval faces."""
    labels = faces[embedding.LABEL_FEATURE]
    if pair_columns is None:
        try:
            index_a, index_b, is_same = metrics.make_pairs(labels, max_positive_pairs=max_positive_pairs, seed=seed)
        except ValueError as error:
            # Too few people to verify anyone (one identity, or one image each): no model can be
            # judged, so none is blessed; say which data and what would fix it.
            identities = len(np.unique(labels))
            raise ValueError(
                f"{pairs_source} cannot score a model, so none is blessed or pushed: it holds {len(labels)} images "
                f"of {identities} identit{'y' if identities == 1 else 'ies'} ({error}). Give the eval split more "
                "people: more identities in the data, a larger data.eval_buckets, or external pairs (evaluator.pairs)"
            ) from error
    else:
        is_same = pair_columns[embedding.IS_SAME_FEATURE].astype(bool)

    def pair_scores(name):
        if pair_columns is None:
            face_embeddings = faces[embedding.embedding_feature(name)]
            return metrics.cosine_similarities(face_embeddings[index_a], face_embeddings[index_b])
        return metrics.cosine_similarities(pair_columns[embedding.embedding_feature(name, "a")],
                                           pair_columns[embedding.embedding_feature(name, "b")])

    scores = {name: pair_scores(name) for name in model_names}
    results = {
        name: {**model_metrics.verification_metrics(scores[name], is_same, seed),
               **model_metrics.identification_metrics(faces[embedding.embedding_feature(name)], labels, seed)}
        for name in model_names
    }
    context = {
        "pairs_source": pairs_source,
        "num_pairs": int(len(is_same)),
        "num_positive_pairs": int(is_same.sum()),
        "num_negative_pairs": int((~is_same).sum()),
        "num_images": int(len(labels)),
        "num_identities": int(len(np.unique(labels))),
    }
    return Evaluation(results, context, scores[CANDIDATE], is_same,
                      faces[embedding.embedding_feature(CANDIDATE)], labels)


def write_evaluation(artifact: types.Artifact, evaluation: Evaluation, verdict: blessing.Verdict,
                     work_dir: str, model_uris: Dict[str, Optional[str]]) -> None:
    """metrics.json, the figures, and the candidate's metrics as custom properties of the artifact."""
    candidate = evaluation.results[CANDIDATE]
    report = {**candidate, **evaluation.context, **model_uris, "baseline": evaluation.results.get(BASELINE),
              "blessed": verdict.blessed, "checks": verdict.checks}
    io_utils.write_string_file(os.path.join(artifact.uri, METRICS_FILE), json.dumps(report, indent=2))

    fpr, tpr, _ = metrics.roc(evaluation.candidate_scores, evaluation.is_same)
    figures = {
        ROC_PLOT: lambda path: plots.plot_roc(fpr, tpr, path),
        HISTOGRAM_PLOT: lambda path: plots.plot_similarity_histogram(
            evaluation.candidate_scores, evaluation.is_same, path, threshold=candidate["best_threshold"]),
        MAP_PLOT: lambda path: plots.plot_embedding_map(evaluation.eval_embeddings, evaluation.eval_labels, path),
    }
    for name, draw in figures.items():
        # matplotlib writes local files only, and the artifact may live on a remote filesystem.
        local_path = os.path.join(work_dir, name)
        draw(local_path)
        fileio.copy(local_path, os.path.join(artifact.uri, name), overwrite=True)

    for key, value in {**candidate, **evaluation.context}.items():
        if isinstance(value, str):
            artifact.set_string_custom_property(key, value)
        else:
            artifact.set_float_custom_property(key, value)
