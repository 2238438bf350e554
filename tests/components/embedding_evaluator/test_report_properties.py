"""The evaluation report's properties: flattened as the artifact carries them, nested again as written."""

from components.embedding_evaluator import report
from components.embedding_evaluator.catalog import OPERATING_POINT, PAIR_SETS

WRITTEN = {
    "verification_accuracy": 0.93, "num_pairs": 400, "pairs_source": "eval split",
    OPERATING_POINT: {"threshold": 0.78, "criterion": "FAR 0.001", "far_interval": [0.0, 0.01], "target_far": None},
    PAIR_SETS: {"lfw": {"auc": 0.99, "tar_at_far_1e-4": "not measurable: needs 10000 negative pairs, have 300"}},
    report.MODEL: "/runs/Trainer/model/6", report.BASELINE_MODEL: None,
    report.BASELINE: {"verification_accuracy": 0.91}, report.BLESSED: True, report.CHECKS: ["auc 0.99 >= 0.9"],
}


def test_the_properties_are_the_candidates_numbers_and_strings_under_joined_keys():
    assert report.properties(WRITTEN) == {
        "verification_accuracy": 0.93, "num_pairs": 400, "pairs_source": "eval split",
        "operating_point/threshold": 0.78, "operating_point/criterion": "FAR 0.001",
        "pair_sets/lfw/auc": 0.99, "pair_sets/lfw/tar_at_far_1e-4": "not measurable: needs 10000 negative pairs, have 300",
        "model": "/runs/Trainer/model/6",
    }


def test_unflatten_gives_the_written_report_back_without_what_properties_cannot_hold():
    nested = report.unflatten(report.properties(WRITTEN))
    assert nested[OPERATING_POINT] == {"threshold": 0.78, "criterion": "FAR 0.001"}
    assert nested[PAIR_SETS] == WRITTEN[PAIR_SETS]
    assert set(nested) == set(WRITTEN) - {*report.FILE_ONLY, report.BASELINE_MODEL}
