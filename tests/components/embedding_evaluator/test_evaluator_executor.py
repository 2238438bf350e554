"""The EmbeddingEvaluator executor on toy models and coloured-square faces, without a pipeline."""

import dataclasses
import json
import math
import os

import numpy as np
import pytest
from PIL import Image
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import artifact_utils, standard_artifacts

from tests.components.embedding_evaluator import toy_models
from components.embedding_evaluator import executor, failure_cases
from components.embedding_evaluator.blessing import BlessingPolicy, SetPolicy, judge
from face_data.conversion import converters
from face_data.conversion.writing import OutputOptions
from serving import verification_file

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


def _evaluate(tmp_path, inputs, candidate, baseline=None, pairs=None,
              policy=BlessingPolicy(min_verification_accuracy=0.0), operating_point=None):
    """Runs the executor; returns (metrics.json as a dict, the ModelEvaluation, the ModelBlessing).

    `pairs` is an Examples artifact whose splits are named pairs sets; `operating_point` the
    executor's {"far", "pairs"} (default: the best accuracy on the eval split's pairs).
    """
    input_dict = {executor.EXAMPLES_KEY: [inputs["examples"]], executor.MODEL_KEY: [inputs[candidate]]}
    if baseline:
        input_dict[executor.BASELINE_MODEL_KEY] = [inputs[baseline]]
    if pairs is not None:
        input_dict[executor.PAIRS_KEY] = [pairs]
    evaluation = _artifact(standard_artifacts.ModelEvaluation, tmp_path / "evaluation")
    blessing = _artifact(standard_artifacts.ModelBlessing, tmp_path / "blessing")
    os.makedirs(evaluation.uri)
    os.makedirs(blessing.uri)
    exec_properties = {
        executor.SPLIT_KEY: "eval",
        executor.PAIR_SETS_KEY: json.dumps(artifact_utils.decode_split_names(pairs.split_names) if pairs else []),
        executor.OPERATING_POINT_KEY: json.dumps(operating_point or {"far": None, "pairs": "eval"}),
        executor.IMAGE_FEATURE_KEY: "image",
        executor.LABEL_FEATURE_KEY: "label",
        executor.MAX_POSITIVE_PAIRS_KEY: 1000,
        executor.SEED_KEY: 0,
        executor.BLESSING_POLICY_KEY: json.dumps(dataclasses.asdict(policy)),
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


def test_a_named_pairs_set_is_scored_beside_the_eval_split(inputs, tmp_path):
    report, _, _ = _evaluate(tmp_path, inputs, "good", pairs=inputs["pairs"])
    scored = report["pair_sets"]["pairs"]
    assert scored["pairs_source"] == f"pairs set 'pairs': {inputs['pairs'].uri}/Split-pairs/*"
    assert scored["num_pairs"] == inputs["num_pairs"] and scored["folds"] == "10 dealt at random"
    assert scored["num_positive_pairs"] == scored["num_negative_pairs"] == inputs["num_pairs"] // 2
    assert scored["verification_accuracy"] == 1.0
    assert report["baseline"] is None
    assert report["pairs_source"] == f"eval split 'eval' of {inputs['examples'].uri}"
    assert report["num_images"] == NUM_IDENTITIES * IMAGES_PER_IDENTITY


def test_figures_are_written_and_drawn(good_against_poor):
    _, evaluation, _ = good_against_poor
    for name in (executor.ROC_PLOT, executor.HISTOGRAM_PLOT, executor.SEPARATION_PLOT):
        image = Image.open(os.path.join(evaluation.uri, name))
        pixels = np.asarray(image.convert("RGB"), dtype=float)
        assert image.format == "PNG" and min(image.size) >= 300, name
        assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, name



def test_the_operating_point_is_chosen_for_a_far_and_shipped(inputs, tmp_path):
    report, _, blessing = _evaluate(tmp_path, inputs, "poor", operating_point={"far": 0.1, "pairs": "eval"})
    point = report["operating_point"]
    assert (point["criterion"], point["pairs"], point["num_negative_pairs"]) == ("FAR 0.1", "eval", 60)
    assert point["far"] <= 0.1 and point["false_accepts"] <= 6
    assert point["far_interval"][0] <= point["far"] <= point["far_interval"][1]
    shipped = verification_file.read(blessing.uri)
    assert shipped["threshold"] == point["threshold"] and shipped["operating_point"] == point
    assert report["blessed"] is True


def test_a_far_the_eval_pairs_cannot_resolve_blocks_the_blessing(inputs, tmp_path):
    report, _, blessing = _evaluate(tmp_path, inputs, "good", operating_point={"far": 1e-3, "pairs": "eval"})
    assert report["blessed"] is False and os.path.exists(os.path.join(blessing.uri, "NOT_BLESSED"))
    assert report["checks"][-1] == (
        "FAIL operating point refused: eval: a FAR of 0.001 needs at least 1000 different-identity pairs to be "
        "measured; these pairs have 60 (one false accept among them is already a FAR of 0.017). Give the "
        "evaluation more different-identity pairs, or choose a FAR of at least 0.017")
    assert verification_file.read(blessing.uri)["threshold"] is None


ORL_PEOPLE = 10


def _orl_two_fold_pairs_txt(path):
    """LFW's pairs.txt layout over ORL, 2 folds of 10 same + 10 different pairs (persons 1-5, then 6-10)."""
    lines = ["2\t10"]
    for fold in range(2):
        people = range(5 * fold + 1, 5 * fold + 6)
        lines += [f"s{person}\t{shot}\t{shot + 5}" for person in people for shot in (1, 2)]
        lines += [f"s{person}\t{shot}\ts{person % 10 + 1}\t{shot + 5}" for person in people for shot in (1, 2)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def three_sets(inputs, tmp_path_factory, orl_dir, orl_verification_bin):
    """ORL pairs (pairs.txt, 2 folds), synthetic pairs, and a .bin of ORL faces with numpy images, as one
    Examples artifact (a split each, as the PairsExampleGen writes them), and the poor model's evaluation."""
    root = tmp_path_factory.mktemp("three_sets")
    _orl_two_fold_pairs_txt(root / "pairs.txt")
    quiet = {"show_progress": False}
    converters.convert_lfw_pairs(str(root / "pairs.txt"), orl_dir, OutputOptions(root / "sets" / "Split-orl", **quiet),
                                 image_pattern="{name}/{number}.pgm")
    synthetic = [(i, 2, i, 3) for i in range(NUM_IDENTITIES)] + [(i, 2, (i + 2) % NUM_IDENTITIES, 3)
                                                                for i in range(NUM_IDENTITIES)]
    toy_models.write_pair_records(str(root / "sets" / "Split-synthetic" / "pairs.gz"), synthetic)
    # Persons 11-20, none of them in the pairs.txt set: a same and a different pair each.
    num_bin_pairs = orl_verification_bin(root / "orl.bin", [pair for person in range(11, 21) for pair in (
        ((person, 1), (person, 6)), ((person, 2), (person % 10 + 11, 7)))])
    converters.convert_verification_bin(str(root / "orl.bin"), OutputOptions(root / "sets" / "Split-orl_bin", **quiet))
    sets = _artifact(standard_artifacts.Examples, root / "sets", splits=["orl", "synthetic", "orl_bin"])
    # orl_bin blocks this blessing: its accuracy cannot reach 1.0 with the poor model.
    policy = BlessingPolicy(min_verification_accuracy=0.0, pair_sets={"orl": SetPolicy(), "synthetic": SetPolicy(),
                                       "orl_bin": SetPolicy(min_verification_accuracy=1.0)})
    evaluated = _evaluate(root / "run", inputs, "poor", pairs=sets, policy=policy,
                          operating_point={"far": 0.1, "pairs": "orl"})
    return evaluated, {"orl": 40, "synthetic": 2 * NUM_IDENTITIES, "orl_bin": num_bin_pairs}


def test_each_named_set_is_reported_on_its_own(three_sets):
    (report, evaluation, _), sizes = three_sets
    assert sorted(report["pair_sets"]) == ["orl", "orl_bin", "synthetic"]
    for name, size in sizes.items():
        scored = report["pair_sets"][name]
        print(f"\n{name}: {scored['num_pairs']} pairs, accuracy {scored['verification_accuracy']:.4f}, "
              f"AUC {scored['auc']:.4f}, folds {scored['folds']}")
        assert (scored["num_pairs"], scored["num_positive_pairs"]) == (size, size // 2), name
        assert 0 <= scored["verification_accuracy"] <= 1 and 0 <= scored["auc"] <= 1, name
        assert evaluation.get_float_custom_property(f"pair_sets/{name}/auc") == scored["auc"]
    assert report["pair_sets"]["orl"]["folds"] == "2 from the pairs file"
    assert report["pair_sets"]["orl_bin"]["folds"] == "10 dealt at random"
    assert report["operating_point"]["pairs"] == "orl" and report["operating_point"]["num_negative_pairs"] == 20


def test_each_named_set_can_block_the_blessing(three_sets):
    (report, _, blessing), _ = three_sets
    assert report["blessed"] is False and os.path.exists(os.path.join(blessing.uri, "NOT_BLESSED"))
    failed = [check for check in report["checks"] if check.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].startswith("FAIL orl_bin/verification_accuracy")
    for name in ("orl", "synthetic", "orl_bin"):
        value = report["pair_sets"][name]["verification_accuracy"]
        blocking = BlessingPolicy(min_verification_accuracy=0.0,
                                  pair_sets={name: SetPolicy(min_verification_accuracy=value + 1e-6)})
        verdict = judge(blocking, report)
        assert not verdict.blessed and verdict.checks[-1].startswith(f"FAIL {name}/verification_accuracy"), name
        lenient = BlessingPolicy(min_verification_accuracy=0.0, pair_sets={name: SetPolicy(min_verification_accuracy=value)})
        assert judge(lenient, report).blessed


def test_the_hardest_failures_of_every_set_are_kept_with_their_images(three_sets):
    (report, evaluation, _), _ = three_sets
    with open(os.path.join(evaluation.uri, failure_cases.FILE_NAME)) as file:
        cases = json.load(file)
    assert sorted(cases) == ["eval", "orl", "orl_bin", "synthetic"]
    threshold = report["operating_point"]["threshold"]
    shown = 0
    for name, case in cases.items():
        assert case["threshold"] == threshold
        accepts, rejects = case["false_accepts"], case["false_rejects"]
        assert len(accepts) <= 16 and len(rejects) <= 16
        assert all(row["similarity"] >= threshold for row in accepts)
        assert all(row["similarity"] < threshold for row in rejects)
        assert [row["similarity"] for row in accepts] == sorted((row["similarity"] for row in accepts), reverse=True)
        for row in accepts + rejects:
            for side in ("a", "b"):
                with Image.open(os.path.join(evaluation.uri, row[f"image_{side}"])) as image:
                    assert image.format == "PNG" and max(image.size) <= failure_cases.THUMBNAIL_SIZE
                shown += 1
        if name == "eval":  # pairs of eval faces carry their identities
            assert all(row["label_a"] != row["label_b"] for row in accepts)
            assert all(row["label_a"] == row["label_b"] for row in rejects)
    assert shown > 0
