"""The EmbeddingEvaluator executor on toy models and coloured-square faces, without a pipeline."""

import json
import math
import os

import numpy as np
import pytest
from PIL import Image
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import artifact_utils, standard_artifacts

import toy_models
from components.embedding_evaluator import executor
from serving import verification_file
from components.embedding_evaluator.blessing import BlessingPolicy

NUM_IDENTITIES, IMAGES_PER_IDENTITY = 6, 5
BEAM_ARGS = ["--runner=SwitchingDirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]


def _artifact(artifact_class, uri, artifact_id=None, splits=None):
    artifact = artifact_class()
    artifact.uri = str(uri)
    if artifact_id is not None:
        artifact.id = artifact_id
    if splits is not None:
        artifact.split_names = artifact_utils.encode_split_names(splits)
    return artifact


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Eval faces, a pairs set, and a good and a poor toy model (ids 1 and 2)."""
    root = tmp_path_factory.mktemp("evaluator_inputs")
    toy_models.write_face_records(str(root / "examples" / "Split-eval" / "faces.gz"), NUM_IDENTITIES,
                                  IMAGES_PER_IDENTITY)
    pairs = [(i, 0, i, 1) for i in range(NUM_IDENTITIES)] + [(i, 0, (i + 1) % NUM_IDENTITIES, 1)
                                                           for i in range(NUM_IDENTITIES)]
    toy_models.write_pair_records(str(root / "pairs" / "Split-pairs" / "pairs.gz"), pairs * 2)
    models = {}
    for artifact_id, name in ((1, "good"), (2, "poor")):
        toy_models.save_toy_model(str(root / name / "Format-Serving"), good=name == "good")
        models[name] = _artifact(standard_artifacts.Model, root / name, artifact_id)
    return {
        "examples": _artifact(standard_artifacts.Examples, root / "examples", splits=["eval"]),
        "pairs": _artifact(standard_artifacts.Examples, root / "pairs", splits=["pairs"]),
        "num_pairs": 2 * len(pairs),
        **models,
    }


def _evaluate(tmp_path, inputs, candidate, baseline=None, pairs=False, policy=BlessingPolicy(min_verification_accuracy=0.0)):
    """Runs the executor; returns (metrics.json as a dict, the ModelEvaluation, the ModelBlessing)."""
    input_dict = {executor.EXAMPLES_KEY: [inputs["examples"]], executor.MODEL_KEY: [inputs[candidate]]}
    if baseline:
        input_dict[executor.BASELINE_MODEL_KEY] = [inputs[baseline]]
    if pairs:
        input_dict[executor.PAIRS_KEY] = [inputs["pairs"]]
    evaluation = _artifact(standard_artifacts.ModelEvaluation, tmp_path / "evaluation")
    blessing = _artifact(standard_artifacts.ModelBlessing, tmp_path / "blessing")
    os.makedirs(evaluation.uri)
    os.makedirs(blessing.uri)
    exec_properties = {
        executor.SPLIT_KEY: "eval",
        executor.PAIRS_SPLIT_KEY: "pairs",
        executor.IMAGE_FEATURE_KEY: "image",
        executor.LABEL_FEATURE_KEY: "label",
        executor.MAX_POSITIVE_PAIRS_KEY: 1000,
        executor.SEED_KEY: 0,
        executor.BLESSING_POLICY_KEY: json.dumps(
            {"min_verification_accuracy": policy.min_verification_accuracy,
             "min_tar_at_far": dict(policy.min_tar_at_far),
             "max_regression_from_blessed": dict(policy.max_regression_from_blessed)}),
    }
    context = BaseBeamExecutor.Context(beam_pipeline_args=BEAM_ARGS, tmp_dir=str(tmp_path / "tmp"), unique_id="1")
    executor.Executor(context).Do(input_dict, {executor.EVALUATION_KEY: [evaluation],
                                               executor.BLESSING_KEY: [blessing]}, exec_properties)
    with open(os.path.join(evaluation.uri, executor.METRICS_FILE)) as file:
        return json.load(file), evaluation, blessing


@pytest.fixture(scope="module")
def good_against_poor(inputs, tmp_path_factory):
    return _evaluate(tmp_path_factory.mktemp("good_against_poor"), inputs, "good", baseline="poor",
                     policy=BlessingPolicy(min_verification_accuracy=0.9,
                                           max_regression_from_blessed={"verification_accuracy": 0.0}))


def test_metrics_cover_verification_identification_and_sizes(good_against_poor, inputs):
    report, evaluation, _ = good_against_poor
    num_positive = NUM_IDENTITIES * IMAGES_PER_IDENTITY * (IMAGES_PER_IDENTITY - 1) // 2
    assert report["num_images"] == NUM_IDENTITIES * IMAGES_PER_IDENTITY
    assert report["num_identities"] == NUM_IDENTITIES
    assert report["num_positive_pairs"] == report["num_negative_pairs"] == num_positive
    assert report["pairs_source"] == f"eval split 'eval' of {inputs['examples'].uri}"
    # Mean colours tell the six colours apart perfectly, in every fold.
    assert (report["verification_accuracy"], report["verification_accuracy_std"]) == (1.0, 0.0)
    assert (report["auc"], report["eer"], report["rank_1"], report["rank_5"]) == (1.0, 0.0, 1.0, 1.0)
    assert report["mean_similarity_same"] > report["best_threshold"] > report["mean_similarity_different"]
    assert isinstance(report["tar_at_far_1e-1"], float)
    # 60 negative pairs measure a FAR of 1e-1, not 1e-2: the report says why instead of a number.
    assert report["tar_at_far_1e-2"] == f"not measurable: needs 100 negative pairs, have {num_positive}"
    assert evaluation.get_float_custom_property("auc") == report["auc"]
    assert evaluation.get_string_custom_property("tar_at_far_1e-2") == report["tar_at_far_1e-2"]


def test_baseline_is_scored_on_the_same_pairs(good_against_poor, inputs, tmp_path):
    report, _, _ = good_against_poor
    assert report["baseline"]["verification_accuracy"] < report["verification_accuracy"] - 0.1
    # The roles swapped, each model gets the same numbers: same pairs, independent of Beam's order.
    swapped, _, _ = _evaluate(tmp_path, inputs, "poor", baseline="good")
    _assert_same_figures(swapped["baseline"], {key: report[key] for key in swapped["baseline"]})
    _assert_same_figures({key: swapped[key] for key in report["baseline"]}, report["baseline"])


def _assert_same_figures(actual, expected):
    # Floats to 1e-9: the same pairs, but a model's embeddings may differ in the last bit with its batch.
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert math.isclose(actual[key], value, rel_tol=1e-9), (key, actual[key], value)
        else:
            assert actual[key] == value, key


def test_blessing_follows_tfx_conventions_and_carries_the_threshold(good_against_poor, inputs):
    report, _, blessing = good_against_poor
    assert report["blessed"] is True
    assert os.path.exists(os.path.join(blessing.uri, "BLESSED"))
    assert blessing.get_int_custom_property("blessed") == 1
    assert blessing.get_int_custom_property("current_model_id") == inputs["good"].id
    assert blessing.get_string_custom_property("current_model") == inputs["good"].uri
    assert blessing.get_int_custom_property("baseline_model_id") == inputs["poor"].id
    assert verification_file.read_threshold(blessing.uri) == report["best_threshold"]
    assert report["checks"][0].startswith("PASS verification_accuracy")
    assert report["checks"][1].startswith("PASS verification_accuracy") and "vs blessed" in report["checks"][1]


def test_a_model_worse_than_the_blessed_one_is_not_blessed(inputs, tmp_path):
    report, _, blessing = _evaluate(tmp_path, inputs, "poor", baseline="good",
                                    policy=BlessingPolicy(min_verification_accuracy=0.0,
                                                          max_regression_from_blessed={"verification_accuracy": 0.0}))
    assert report["blessed"] is False
    assert os.path.exists(os.path.join(blessing.uri, "NOT_BLESSED"))
    assert blessing.get_int_custom_property("blessed") == 0
    assert any(check.startswith("FAIL verification_accuracy") and "vs blessed" in check for check in report["checks"])


def test_external_pairs_replace_pairs_drawn_from_the_eval_split(inputs, tmp_path):
    report, _, _ = _evaluate(tmp_path, inputs, "good", pairs=True)
    assert report["pairs_source"] == f"external pairs {inputs['pairs'].uri}"
    assert report["num_pairs"] == inputs["num_pairs"]
    assert report["num_positive_pairs"] == report["num_negative_pairs"] == inputs["num_pairs"] // 2
    assert report["baseline"] is None
    assert report["verification_accuracy"] == 1.0
    assert report["num_images"] == NUM_IDENTITIES * IMAGES_PER_IDENTITY  # identification stays on the eval split


def test_figures_are_written_and_drawn(good_against_poor):
    _, evaluation, _ = good_against_poor
    for name in (executor.ROC_PLOT, executor.HISTOGRAM_PLOT, executor.MAP_PLOT):
        image = Image.open(os.path.join(evaluation.uri, name))
        pixels = np.asarray(image.convert("RGB"), dtype=float)
        assert image.format == "PNG" and min(image.size) >= 300, name
        assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, name

