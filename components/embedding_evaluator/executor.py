"""EmbeddingEvaluator executor: embed in Beam, score, choose the operating point, draw, bless.

Outputs, in the ModelEvaluation artifact:
  metrics.json              the candidate's metrics on the eval split's pairs at the top level
                            (model_metrics.py) with their sizes, `operating_point` (the shipped
                            threshold, its FAR and FRR with intervals and counts, or why it was
                            refused), `pair_sets` (each named set's metrics, sizes, source), the
                            `model` and `baseline_model` URIs, the baseline's metrics under
                            "baseline" (null without one), the verdict under "blessed" and "checks";
  roc.png, similarity_histogram.png  the candidate's ROC curve (linear and log FAR) with the shipped
                            threshold's operating point, and similarities of same and different
                            identities with the shipped threshold (eval pairs);
  identity_separation.png   per eval identity: its own images' similarity vs. its pairs with others;
  failure_cases.json, failure_cases/  the hardest false accepts and rejects of every set (failure_cases.py).
The ModelBlessing follows TFX's Evaluator (blessing.py) and carries the operating point to ship.
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

from components.embedding_evaluator import (
    blessing,
    catalog,
    embedding,
    failure_cases,
    model_metrics,
    plots,
)
from components.embedding_evaluator.catalog import HISTOGRAM_PLOT, METRICS_FILE, ROC_PLOT, SEPARATION_PLOT
from face_data import records
from verification import metrics, operating_point

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
PAIRS_KEY = "pairs"
EVALUATION_KEY = "evaluation"
BLESSING_KEY = "blessing"
SPLIT_KEY = "split"
PAIR_SETS_KEY = "pair_sets"  # JSON list of the named pairs sets: the splits of the `pairs` input
OPERATING_POINT_KEY = "operating_point"  # JSON {"far": a rate, or null for the best accuracy, "pairs": a set}
IMAGE_FEATURE_KEY = "image_feature"
LABEL_FEATURE_KEY = "label_feature"
MAX_POSITIVE_PAIRS_KEY = "max_positive_pairs"
SEED_KEY = "seed"
BLESSING_POLICY_KEY = "blessing_policy"

CANDIDATE, BASELINE = "candidate", "baseline"


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
        set_names = json.loads(exec_properties.get(PAIR_SETS_KEY) or "[]")
        if set_names and pairs is None:
            raise ValueError(f"pairs sets {set_names} are configured, but no pairs examples were given")
        model_dirs = {CANDIDATE: path_utils.serving_model_path(model.uri)}
        if baseline_model is not None:
            model_dirs[BASELINE] = path_utils.serving_model_path(baseline_model.uri)
        work_dir = self._get_tmp_dir()

        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        sources = {name: _split_files(pairs, name) for name in set_names}
        faces, set_columns = self._embed(examples, sources, model_dirs, exec_properties, work_dir)
        faces_source = _split_files(examples, exec_properties[SPLIT_KEY])
        evaluation = evaluate(faces, set_columns, list(model_dirs), exec_properties[MAX_POSITIVE_PAIRS_KEY],
                              exec_properties[SEED_KEY], f"eval split '{exec_properties[SPLIT_KEY]}' of {examples.uri}",
                              {name: f"pairs set '{name}': {pattern}" for name, pattern in sources.items()},
                              json.loads(exec_properties.get(OPERATING_POINT_KEY) or "{}"))
        policy = blessing.BlessingPolicy.from_json_dict(json.loads(exec_properties[BLESSING_POLICY_KEY]))
        verdict = blessing.judge(policy, evaluation.results[CANDIDATE], evaluation.results.get(BASELINE))
        model_uris = {"model": model.uri, "baseline_model": baseline_model.uri if baseline_model is not None else None}
        evaluation_artifact = artifact_utils.get_single_instance(output_dict[EVALUATION_KEY])
        write_evaluation(evaluation_artifact, evaluation, verdict, work_dir, model_uris)
        failure_cases.write_hardest(
            evaluation_artifact.uri, evaluation.pairs, CANDIDATE, shipped_threshold(evaluation.results[CANDIDATE]),
            {catalog.EVAL_PAIRS: faces_source, **sources},
            records.FaceFeatures(exec_properties[IMAGE_FEATURE_KEY], exec_properties[LABEL_FEATURE_KEY]))
        blessing.write_blessing(artifact_utils.get_single_instance(output_dict[BLESSING_KEY]), model, baseline_model,
                                verdict, evaluation.results[CANDIDATE][catalog.OPERATING_POINT])

    def _embed(self, examples: types.Artifact, sources: Dict[str, str], model_dirs: Dict[str, str],
               exec_properties: Dict[str, Any], work_dir: str):
        """One Beam pipeline embeds the eval faces and every pairs set with every model; returns their columns."""
        faces_prefix = os.path.join(work_dir, "faces")
        face_features = records.FaceFeatures(exec_properties[IMAGE_FEATURE_KEY], exec_properties[LABEL_FEATURE_KEY])
        with self._make_beam_pipeline() as pipeline:
            _ = (pipeline
                 | "ReadFaces" >> beam.io.ReadFromTFRecord(_split_files(examples, exec_properties[SPLIT_KEY]))
                 | "EmbedFaces" >> embedding.EmbedRecords(model_dirs, embedding.FaceEmbedder(face_features))
                 | "WriteFaces" >> beam.io.WriteToTFRecord(faces_prefix, file_name_suffix=".gz"))
            for name, pattern in sources.items():
                _ = (pipeline
                     | f"ReadPairs[{name}]" >> beam.io.ReadFromTFRecord(pattern)
                     | f"EmbedPairs[{name}]" >> embedding.EmbedRecords(model_dirs, embedding.PairEmbedder())
                     | f"WritePairs[{name}]" >> beam.io.WriteToTFRecord(os.path.join(work_dir, f"pairs-{name}"),
                                                                        file_name_suffix=".gz"))
        faces = embedding.read_embeddings(fileio.glob(faces_prefix + "-*"))
        return faces, {name: embedding.read_embeddings(fileio.glob(os.path.join(work_dir, f"pairs-{name}-*")))
                       for name in sources}


@dataclasses.dataclass(frozen=True)
class ScoredPairs:
    """One set of pairs scored by every model, and where each pair's two images are recorded.

    `record_keys` [N, 2] are the `embedding.record_key`s of the records holding image a and image
    b: two face records for pairs drawn from the eval split, one pair record twice for a pairs set.
    """

    scores: Dict[str, np.ndarray]  # model name -> [N] cosine similarities
    is_same: np.ndarray
    record_keys: np.ndarray
    folds: Optional[np.ndarray] = None


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Every model's metrics on the same pairs, and what the figures and failure cases need."""

    results: Dict[str, dict]  # model name -> model_metrics dict, with pair_sets and operating_point
    context: dict  # sizes and sources of the pairs, shared by all models; each set's under "pair_sets"
    pairs: Dict[str, ScoredPairs]  # "eval" and each named set
    eval_embeddings: np.ndarray
    eval_labels: np.ndarray

    @property
    def candidate_scores(self) -> np.ndarray:
        return self.pairs[catalog.EVAL_PAIRS].scores[CANDIDATE]

    @property
    def is_same(self) -> np.ndarray:
        return self.pairs[catalog.EVAL_PAIRS].is_same


def _eval_pairs(faces: Dict[str, np.ndarray], model_names: List[str], max_positive_pairs: int, seed: int,
                source: str) -> ScoredPairs:
    labels = faces[embedding.LABEL_FEATURE]
    try:
        index_a, index_b, is_same = metrics.make_pairs(labels, max_positive_pairs=max_positive_pairs, seed=seed)
    except ValueError as error:
        # Too few people to verify anyone (one identity, or one image each): no model can be
        # judged, so none is blessed; say which data and what would fix it.
        identities = len(np.unique(labels))
        raise ValueError(
            f"{source} cannot score a model, so none is blessed or pushed: it holds {len(labels)} images "
            f"of {identities} identit{'y' if identities == 1 else 'ies'} ({error}). Give the eval split more "
            "people: more identities in the data, or a larger data.eval_buckets"
        ) from error
    scores = {}
    for name in model_names:
        face_embeddings = faces[embedding.embedding_feature(name)]
        scores[name] = metrics.cosine_similarities(face_embeddings[index_a], face_embeddings[index_b])
    keys = faces[embedding.KEY_FEATURE]
    return ScoredPairs(scores, is_same, np.stack([keys[index_a], keys[index_b]], axis=1))


def _set_pairs(columns: Dict[str, np.ndarray], model_names: List[str]) -> ScoredPairs:
    scores = {name: metrics.cosine_similarities(columns[embedding.embedding_feature(name, "a")],
                                                columns[embedding.embedding_feature(name, "b")])
              for name in model_names}
    keys = columns[embedding.KEY_FEATURE]
    return ScoredPairs(scores, columns[embedding.IS_SAME_FEATURE].astype(bool), np.stack([keys, keys], axis=1),
                       columns.get(embedding.FOLD_FEATURE))


def _context(pairs: ScoredPairs, source: str) -> dict:
    return {
        "pairs_source": source,
        "num_pairs": int(len(pairs.is_same)),
        "num_positive_pairs": int(pairs.is_same.sum()),
        "num_negative_pairs": int((~pairs.is_same).sum()),
        "folds": (f"{len(np.unique(pairs.folds))} from the pairs file" if pairs.folds is not None
                  else "10 dealt at random"),
    }


def _operating_point(pairs: ScoredPairs, name: str, far: Optional[float], where: str) -> dict:
    """The model's operating point on `pairs`, or {"refused": why} when they cannot resolve `far`."""
    try:
        return {**operating_point.choose(pairs.scores[name], pairs.is_same, far).as_dict(), "pairs": where}
    except operating_point.UnresolvableFar as error:
        return {"refused": f"{where}: {error}", "target_far": far, "pairs": where}


def evaluate(faces: Dict[str, np.ndarray], set_columns: Dict[str, Dict[str, np.ndarray]], model_names: List[str],
             max_positive_pairs: int, seed: int, eval_source: str, set_sources: Dict[str, str],
             point: dict) -> Evaluation:
    """Scores each model on the same pairs: pairs drawn from the eval faces, and every named pairs set.

    `point` is {"far": target FAR or None for the best accuracy, "pairs": the set it is chosen on
    ("eval" by default)}.
    """
    pairs = {catalog.EVAL_PAIRS: _eval_pairs(faces, model_names, max_positive_pairs, seed, eval_source)}
    pairs.update({name: _set_pairs(columns, model_names) for name, columns in set_columns.items()})
    where = point.get("pairs") or catalog.EVAL_PAIRS
    if where not in pairs:
        raise ValueError(f"operating_point.pairs: expected '{catalog.EVAL_PAIRS}' or a configured pairs set "
                         f"({sorted(set_columns)}), got {where!r}")
    labels = faces[embedding.LABEL_FEATURE]
    results = {}
    for name in model_names:
        eval_pairs = pairs[catalog.EVAL_PAIRS]
        results[name] = {
            **model_metrics.verification_metrics(eval_pairs.scores[name], eval_pairs.is_same, seed),
            **model_metrics.identification_metrics(faces[embedding.embedding_feature(name)], labels, seed),
            catalog.OPERATING_POINT: _operating_point(pairs[where], name, point.get("far"), where),
            catalog.PAIR_SETS: {
                set_name: model_metrics.verification_metrics(pairs[set_name].scores[name], pairs[set_name].is_same,
                                                             seed, pairs[set_name].folds)
                for set_name in set_columns
            },
        }
    context = {
        **_context(pairs[catalog.EVAL_PAIRS], eval_source),
        "num_images": int(len(labels)),
        "num_identities": int(len(np.unique(labels))),
        catalog.PAIR_SETS: {name: _context(pairs[name], source) for name, source in set_sources.items()},
    }
    return Evaluation(results, context, pairs, faces[embedding.embedding_feature(CANDIDATE)], labels)


def shipped_threshold(candidate: dict) -> float:
    """The operating point's threshold; the most accurate one when the FAR asked for was refused."""
    point = candidate[catalog.OPERATING_POINT]
    return point["threshold"] if "threshold" in point else candidate["best_threshold"]


def _report(evaluation: Evaluation, verdict: blessing.Verdict, model_uris: Dict[str, Optional[str]]) -> dict:
    candidate = evaluation.results[CANDIDATE]
    sets = {name: {**values, **evaluation.context[catalog.PAIR_SETS][name]}
            for name, values in candidate[catalog.PAIR_SETS].items()}
    return {**candidate, **evaluation.context, catalog.PAIR_SETS: sets, **model_uris,
            "baseline": evaluation.results.get(BASELINE), "blessed": verdict.blessed, "checks": verdict.checks}


def _scalars(values: dict, prefix: str = ""):
    """(key, value) of every number and string in `values`, nested keys joined by "/"; lists left out."""
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _scalars(value, f"{prefix}{key}/")
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            yield prefix + key, value


def write_evaluation(artifact: types.Artifact, evaluation: Evaluation, verdict: blessing.Verdict,
                     work_dir: str, model_uris: Dict[str, Optional[str]]) -> None:
    """metrics.json, the figures, and the candidate's metrics as custom properties of the artifact."""
    report = _report(evaluation, verdict, model_uris)
    io_utils.write_string_file(os.path.join(artifact.uri, METRICS_FILE), json.dumps(report, indent=2))

    fpr, tpr, _ = metrics.roc(evaluation.candidate_scores, evaluation.is_same)
    threshold = shipped_threshold(evaluation.results[CANDIDATE])
    point = plots.accept_rates(evaluation.candidate_scores, evaluation.is_same, threshold)
    figures = {
        ROC_PLOT: lambda path: plots.plot_roc(fpr, tpr, path, threshold, point),
        HISTOGRAM_PLOT: lambda path: plots.plot_similarity_histogram(
            evaluation.candidate_scores, evaluation.is_same, path, threshold=threshold),
        SEPARATION_PLOT: lambda path: plots.plot_identity_separation(
            evaluation.eval_embeddings, evaluation.eval_labels, path, threshold),
    }
    for name, draw in figures.items():
        # matplotlib writes local files only, and the artifact may live on a remote filesystem.
        local_path = os.path.join(work_dir, name)
        draw(local_path)
        fileio.copy(local_path, os.path.join(artifact.uri, name), overwrite=True)

    candidate = {key: value for key, value in report.items() if key not in ("baseline", "checks", "blessed")}
    for key, value in _scalars(candidate):
        if isinstance(value, str):
            artifact.set_string_custom_property(key, value)
        else:
            artifact.set_float_custom_property(key, value)
