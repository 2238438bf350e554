"""EmbeddingEvaluator executor: embed in Beam, score (scoring.py), choose the operating point, draw, bless.

Outputs, in the ModelEvaluation artifact:
  metrics.json              the candidate's metrics on the eval split's pairs at the top level
                            (model_metrics.py) with their sizes, `operating_point` (the shipped
                            threshold, its FAR and FRR with intervals and counts, or why it was
                            refused), `pair_sets` (each named set's metrics, sizes, source; an IJB
                            set's 1:N figures per gallery under `identification`),
                            `all_pairs` (TAR at FAR 1e-1..1e-6 over every eval pair, intervals),
                            `groups` (FAR and FRR per attribute value at the shipped threshold), the
                            `model` and `baseline_model` URIs, the baseline's metrics under
                            "baseline" (null without one), the verdict under "blessed" and "checks";
  roc.png, similarity_histogram.png  the candidate's ROC curve (linear and log FAR; over every pair of
                            the eval split when scored all-vs-all, else its drawn pairs) with the
                            shipped threshold's operating point, and similarities of same and
                            different identities with the shipped threshold (drawn eval pairs);
  identity_separation.png   per eval identity: its own images' similarity vs. its pairs with others;
  failure_cases.json, failure_cases/  the hardest false accepts and rejects of every set of image pairs
                            (failure_cases.py).
The ModelBlessing follows TFX's Evaluator (blessing.py) and carries the operating point to ship.
"""

import io
import json
import os
from typing import Any, Dict, List, Optional

import apache_beam as beam
from tfx import types
from tfx.dsl.components.base import base_beam_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from components.embedding_evaluator import blessing, catalog, embedding, failure_cases, ijb_sets, plots, report
from components.embedding_evaluator.catalog import HISTOGRAM_PLOT, METRICS_FILE, ROC_PLOT, SEPARATION_PLOT
from components.embedding_evaluator.scoring import BASELINE, CANDIDATE, Evaluation, evaluate, marked_threshold
from face_data.conversion import ijb
from face_data.records import contract
from verification import metrics

EXAMPLES_KEY = "examples"
MODEL_KEY = "model"
BASELINE_MODEL_KEY = "baseline_model"
PAIRS_KEY = "pairs"
EVALUATION_KEY = "evaluation"
BLESSING_KEY = "blessing"
SPLIT_KEY = "split"
PAIR_SETS_KEY = "pair_sets"  # JSON list of the named pairs sets: the splits of the `pairs` input
# JSON {name: {"input_base", "file_pattern", "detector_scores", "flip"}} of the IJB sets, read from
# their folders: template-face records and the protocol beside them (python -m face_data ijb).
IJB_SETS_KEY = "ijb_sets"
OPERATING_POINT_KEY = "operating_point"  # JSON {"far": a rate, or null for the best accuracy, "pairs": a set}
IMAGE_FEATURE_KEY = "image_feature"
LABEL_FEATURE_KEY = "label_feature"
MAX_POSITIVE_PAIRS_KEY = "max_positive_pairs"
SEED_KEY = "seed"
BLESSING_POLICY_KEY = "blessing_policy"
EVERY_PAIR_KEY = "every_pair"  # JSON {"replicates": identity-bootstrap draws}, or null: no all-vs-all scoring


def _split_files(artifact: types.Artifact, split: str) -> str:
    pattern = os.path.join(artifact_utils.get_split_uri([artifact], split), "*")
    if not fileio.glob(pattern):
        raise ValueError(f"split '{split}' of {artifact.uri}: expected TFRecord files at {pattern}, found none")
    return pattern


def _ijb_files(name: str, config: dict) -> str:
    pattern = os.path.join(config["input_base"], config["file_pattern"])
    if not fileio.glob(pattern):
        raise ValueError(f"ijb set '{name}': expected template-face records at {pattern} "
                         "(python -m face_data ijb), found none")
    return pattern


def _ijb_set(name: str, config: dict, columns: Dict[str, Any]) -> ijb_sets.IjbSet:
    path = os.path.join(config["input_base"], ijb.PROTOCOL_FILE)
    if not fileio.exists(path):
        raise ValueError(f"ijb set '{name}': expected its protocol at {path} (python -m face_data ijb writes it "
                         "beside the records), found none")
    with fileio.open(path, "rb") as file:
        protocol = ijb.Protocol.load(io.BytesIO(file.read()))
    return ijb_sets.IjbSet(columns, protocol, config["detector_scores"], config["flip"],
                           f"ijb set '{name}': {config['input_base']}")


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
        ijb_config = json.loads(exec_properties.get(IJB_SETS_KEY) or "{}")
        faces, set_columns, ijb_columns = self._embed(examples, sources, ijb_config, model_dirs, exec_properties,
                                                      work_dir)
        faces_source = _split_files(examples, exec_properties[SPLIT_KEY])
        evaluation = evaluate(faces, set_columns, list(model_dirs), exec_properties[MAX_POSITIVE_PAIRS_KEY],
                              exec_properties[SEED_KEY], f"eval split '{exec_properties[SPLIT_KEY]}' of {examples.uri}",
                              {name: f"pairs set '{name}': {pattern}" for name, pattern in sources.items()},
                              json.loads(exec_properties.get(OPERATING_POINT_KEY) or "{}"),
                              {name: _ijb_set(name, ijb_config[name], columns) for name, columns in ijb_columns.items()},
                              json.loads(exec_properties.get(EVERY_PAIR_KEY) or "null"))
        policy = blessing.BlessingPolicy.from_json_dict(json.loads(exec_properties[BLESSING_POLICY_KEY]))
        verdict = blessing.judge(policy, evaluation.results[CANDIDATE], evaluation.results.get(BASELINE))
        model_uris = {report.MODEL: model.uri,
                      report.BASELINE_MODEL: baseline_model.uri if baseline_model is not None else None}
        evaluation_artifact = artifact_utils.get_single_instance(output_dict[EVALUATION_KEY])
        write_evaluation(evaluation_artifact, evaluation, verdict, work_dir, model_uris)
        # An IJB set's pairs are of templates, several faces each: no two images to show.
        failure_cases.write_hardest(
            evaluation_artifact.uri, {name: scored for name, scored in evaluation.pairs.items()
                                      if scored.record_keys is not None}, CANDIDATE, marked_threshold(evaluation.results[CANDIDATE]),
            {catalog.EVAL_PAIRS: faces_source, **sources},
            contract.FaceFeatures(exec_properties[IMAGE_FEATURE_KEY], exec_properties[LABEL_FEATURE_KEY]))
        blessing.write_blessing(artifact_utils.get_single_instance(output_dict[BLESSING_KEY]), model, baseline_model,
                                verdict, evaluation.results[CANDIDATE][catalog.OPERATING_POINT])

    def _embed(self, examples: types.Artifact, sources: Dict[str, str], ijb_config: Dict[str, dict],
               model_dirs: Dict[str, str], exec_properties: Dict[str, Any], work_dir: str):
        """One Beam pipeline embeds the eval faces, every pairs set and every IJB set with every model;
        returns their columns."""
        faces_prefix = os.path.join(work_dir, "faces")
        face_features = contract.FaceFeatures(exec_properties[IMAGE_FEATURE_KEY], exec_properties[LABEL_FEATURE_KEY])
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
            for name, config in ijb_config.items():
                _ = (pipeline
                     | f"ReadIjb[{name}]" >> beam.io.ReadFromTFRecord(_ijb_files(name, config))
                     | f"EmbedIjb[{name}]" >> embedding.EmbedRecords(model_dirs,
                                                                     embedding.TemplateFaceEmbedder(config["flip"]))
                     | f"WriteIjb[{name}]" >> beam.io.WriteToTFRecord(os.path.join(work_dir, f"ijb-{name}"),
                                                                      file_name_suffix=".gz"))
        faces = embedding.read_embeddings(fileio.glob(faces_prefix + "-*"))
        return (faces,
                {name: embedding.read_embeddings(fileio.glob(os.path.join(work_dir, f"pairs-{name}-*")))
                 for name in sources},
                {name: embedding.read_embeddings(fileio.glob(os.path.join(work_dir, f"ijb-{name}-*")))
                 for name in ijb_config})


def _report(evaluation: Evaluation, verdict: blessing.Verdict, model_uris: Dict[str, Optional[str]]) -> dict:
    candidate = evaluation.results[CANDIDATE]
    sets = {name: {**values, **evaluation.context[catalog.PAIR_SETS][name]}
            for name, values in candidate[catalog.PAIR_SETS].items()}
    return {**candidate, **evaluation.context, catalog.PAIR_SETS: sets, **model_uris,
            report.BASELINE: evaluation.results.get(BASELINE), report.BLESSED: verdict.blessed,
            report.CHECKS: verdict.checks}


def write_evaluation(artifact: types.Artifact, evaluation: Evaluation, verdict: blessing.Verdict,
                     work_dir: str, model_uris: Dict[str, Optional[str]]) -> None:
    """metrics.json, the figures, and the candidate's metrics as custom properties of the artifact."""
    written = _report(evaluation, verdict, model_uris)
    io_utils.write_string_file(os.path.join(artifact.uri, METRICS_FILE), json.dumps(written, indent=2))

    marked = marked_threshold(evaluation.results[CANDIDATE])
    threshold = marked.value
    if evaluation.every_pair is not None:  # every pair reaches FARs of 1e-6 on the log axis
        fpr, tpr = evaluation.every_pair.scored.roc()
        point_of_all = evaluation.every_pair.scored.measure(threshold)
        point = (point_of_all.far, point_of_all.tar)
    else:
        fpr, tpr, _ = metrics.roc(evaluation.candidate_scores, evaluation.is_same)
        point = plots.accept_rates(evaluation.candidate_scores, evaluation.is_same, threshold)
    figures = {
        ROC_PLOT: lambda path: plots.plot_roc(fpr, tpr, path, threshold, point, marked.name),
        HISTOGRAM_PLOT: lambda path: plots.plot_similarity_histogram(
            evaluation.candidate_scores, evaluation.is_same, path, threshold, marked.name),
        SEPARATION_PLOT: lambda path: plots.plot_identity_separation(
            evaluation.eval_embeddings, evaluation.eval_labels, path, threshold, threshold_name=marked.name),
    }
    for name, draw in figures.items():
        # matplotlib writes local files only, and the artifact may live on a remote filesystem.
        local_path = os.path.join(work_dir, name)
        draw(local_path)
        fileio.copy(local_path, os.path.join(artifact.uri, name), overwrite=True)

    for key, value in report.properties(written).items():
        if isinstance(value, str):
            artifact.set_string_custom_property(key, value)
        else:
            artifact.set_float_custom_property(key, value)
