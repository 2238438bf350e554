"""The blessing policy's verdicts, and the ModelBlessing written the way TFX's Evaluator writes it."""

import os

import pytest
from tfx.types import standard_artifacts

from components.embedding_evaluator.blessing import BlessingPolicy, SetPolicy, judge, write_blessing
from serving import verification_file
from verification.operating_point import measure

CANDIDATE = {"verification_accuracy": 0.82, "eer": 0.2, "tar_at_far_1e-1": 0.6,
             "tar_at_far_1e-3": "not measurable: needs 1000 negative pairs, have 675"}


def test_absolute_thresholds_pass_and_fail():
    assert judge(BlessingPolicy(min_verification_accuracy=0.8), CANDIDATE).blessed
    verdict = judge(BlessingPolicy(min_verification_accuracy=0.9, min_tar_at_far={"1e-1": 0.5}), CANDIDATE)
    assert not verdict.blessed
    assert verdict.checks == ["FAIL verification_accuracy 0.8200, required >= 0.9000",
                              "PASS tar_at_far_1e-1 0.6000, required >= 0.5000"]
    assert verdict.message == "; ".join(verdict.checks)


def test_a_tar_the_pairs_cannot_measure_fails_saying_why():
    verdict = judge(BlessingPolicy(min_tar_at_far={"1e-3": 0.1}), CANDIDATE)
    assert not verdict.blessed
    assert verdict.checks[1] == ("FAIL tar_at_far_1e-3 not measurable: needs 1000 negative pairs, have 675, "
                                 "required >= 0.1000")


def test_change_thresholds_wait_for_a_blessed_model():
    verdict = judge(BlessingPolicy(max_regression_from_blessed={"verification_accuracy": 0.0}), CANDIDATE)
    assert verdict.blessed
    assert verdict.checks[-1] == "PASS no blessed model yet: change thresholds not checked"


@pytest.mark.parametrize(
    "metric, baseline_value, tolerance, blessed",
    [
        ("verification_accuracy", 0.83, 0.02, True),  # 0.01 worse, 0.02 tolerated
        ("verification_accuracy", 0.83, 0.0, False),
        ("verification_accuracy", 0.70, 0.0, True),  # better
        ("eer", 0.19, 0.0, False),  # lower is better: 0.20 is worse than 0.19
        ("eer", 0.25, 0.0, True),
    ],
)
def test_change_against_the_blessed_model(metric, baseline_value, tolerance, blessed):
    baseline = {**CANDIDATE, metric: baseline_value}
    verdict = judge(BlessingPolicy(max_regression_from_blessed={metric: tolerance}), CANDIDATE, baseline)
    assert verdict.blessed is blessed
    assert verdict.checks[-1].startswith(("PASS " if blessed else "FAIL ") + metric)
    assert f"vs blessed {baseline_value:.4f}" in verdict.checks[-1]


def test_an_unmeasurable_metric_cannot_be_compared():
    baseline = {**CANDIDATE, "tar_at_far_1e-3": 0.4}
    verdict = judge(BlessingPolicy(max_regression_from_blessed={"tar_at_far_1e-3": 0.1}), CANDIDATE, baseline)
    assert not verdict.blessed
    assert verdict.checks[-1].startswith("FAIL tar_at_far_1e-3 cannot be compared")


def _artifacts(tmp_path):
    model, baseline, blessing = (standard_artifacts.Model(), standard_artifacts.Model(),
                                 standard_artifacts.ModelBlessing())
    for artifact, name, artifact_id in ((model, "model", 12), (baseline, "baseline", 7), (blessing, "blessing", 13)):
        artifact.uri, artifact.id = str(tmp_path / name), artifact_id
    return model, baseline, blessing


@pytest.mark.parametrize("blessed", [True, False])
def test_blessing_artifact_follows_tfx_conventions(tmp_path, blessed):
    model, baseline, blessing = _artifacts(tmp_path)
    verdict = judge(BlessingPolicy(min_verification_accuracy=0.5 if blessed else 0.9), CANDIDATE)
    point = measure([0.9, 0.5, 0.3, 0.1], [1, 1, 0, 0], threshold=0.375, target_far=0.5).as_dict()
    write_blessing(blessing, model, baseline, verdict, point)
    file_name = "BLESSED" if blessed else "NOT_BLESSED"
    assert sorted(os.listdir(blessing.uri)) == [file_name, "verification.json"]
    with open(os.path.join(blessing.uri, file_name)) as file:
        assert file.read() == verdict.checks[0] + "\n"
    assert blessing.get_int_custom_property("blessed") == int(blessed)
    assert blessing.get_int_custom_property("current_model_id") == 12
    assert blessing.get_string_custom_property("current_model") == model.uri
    assert blessing.get_int_custom_property("baseline_model_id") == 7
    assert blessing.get_string_custom_property("baseline_model") == baseline.uri
    assert blessing.get_string_custom_property("blessing_message") == verdict.message
    assert verification_file.read_threshold(blessing.uri) == 0.375  # exact: not rounded as MLMD rounds
    assert verification_file.read(blessing.uri)["operating_point"] == point


def test_without_a_baseline_no_baseline_properties(tmp_path):
    model, _, blessing = _artifacts(tmp_path)
    write_blessing(blessing, model, None, judge(BlessingPolicy(), CANDIDATE), {"threshold": 0.5})
    assert not blessing.has_custom_property("baseline_model_id")
    assert not blessing.has_custom_property("baseline_model")


POINT = measure([0.9, 0.8, 0.7, 0.2, 0.6, 0.1], [1, 1, 1, 1, 0, 0], threshold=0.65, target_far=0.5).as_dict()
SETS = {"lfw": {"verification_accuracy": 0.95, "tar_at_far_1e-1": 0.9},
        "cfp_fp": {"verification_accuracy": 0.85, "tar_at_far_1e-1": 0.7}}


def test_tar_at_the_operating_point_can_block_a_blessing():
    candidate = {**CANDIDATE, "operating_point": POINT}  # TAR 0.75 at FAR 0 (target 0.5)
    assert judge(BlessingPolicy(min_tar_at_operating_point=0.7), candidate).blessed
    verdict = judge(BlessingPolicy(min_tar_at_operating_point=0.8), candidate)
    assert not verdict.blessed
    assert verdict.checks[-1] == ("FAIL tar_at_operating_point (FAR 0.5, threshold 0.6500) 0.7500, "
                                  "required >= 0.8000")


def test_a_refused_operating_point_blocks_the_blessing_saying_why():
    candidate = {**CANDIDATE, "operating_point": {"refused": "eval: a FAR of 0.001 needs at least 1000 ..."}}
    verdict = judge(BlessingPolicy(), candidate)
    assert not verdict.blessed
    assert verdict.checks[-1] == "FAIL operating point refused: eval: a FAR of 0.001 needs at least 1000 ..."


@pytest.mark.parametrize("blocking", ["lfw", "cfp_fp"])
def test_each_named_set_has_its_own_thresholds(blocking):
    candidate = {**CANDIDATE, "pair_sets": SETS}
    lenient = {"lfw": SetPolicy(min_verification_accuracy=0.9), "cfp_fp": SetPolicy(min_tar_at_far={"1e-1": 0.6})}
    assert judge(BlessingPolicy(pair_sets=lenient), candidate).blessed
    strict = {**lenient, blocking: SetPolicy(min_verification_accuracy=0.99)}
    verdict = judge(BlessingPolicy(pair_sets=strict), candidate)
    assert not verdict.blessed
    assert [check for check in verdict.checks if check.startswith("FAIL")] == [
        f"FAIL {blocking}/verification_accuracy {SETS[blocking]['verification_accuracy']:.4f}, required >= 0.9900"]


def test_a_named_set_is_compared_with_the_blessed_model_on_that_set():
    candidate = {**CANDIDATE, "pair_sets": SETS}
    baseline = {**CANDIDATE, "pair_sets": {**SETS, "lfw": {**SETS["lfw"], "verification_accuracy": 0.97}}}
    policy = BlessingPolicy(pair_sets={"lfw": SetPolicy(max_regression_from_blessed={"verification_accuracy": 0.01})})
    assert judge(policy, candidate).checks[-1] == "PASS no blessed model yet: change thresholds of lfw not checked"
    verdict = judge(policy, candidate, baseline)
    assert not verdict.blessed
    assert verdict.checks[-1].startswith("FAIL lfw/verification_accuracy 0.9500 vs blessed 0.9700")
