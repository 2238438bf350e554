"""The run summary's verdict lines, from an evaluation's properties as ML Metadata holds them."""

from components.embedding_evaluator import report as evaluation_report
from runners import report

EVALUATION = {
    "verification_accuracy": 0.92664, "verification_accuracy_std": 0.0213, "num_pairs": 600,
    "operating_point": {"threshold": 0.78611, "criterion": "FAR 0.01", "pairs": "eval", "far": 0.00999,
                        "frr": 0.152, "num_negative_pairs": 300, "num_positive_pairs": 300},
    "pair_sets": {"orl": {"verification_accuracy": 0.95, "verification_accuracy_std": 0.01, "num_pairs": 200},
                  "lfw": {"verification_accuracy": 0.9, "verification_accuracy_std": 0.02, "num_pairs": 100}},
}


def _model(metrics, pushed_to="/serving/1"):
    return {"model": 7, "metrics": metrics, "evaluation_uri": "/runs/EmbeddingEvaluator/evaluation/8",
            "pushed_to": pushed_to, "blessing_message": "accuracy below 0.7"}


def test_the_verdict_reads_every_set_and_the_operating_point_from_the_flattened_properties():
    lines = report._verdict(_model(evaluation_report.properties(EVALUATION)))
    assert lines[:4] == [
        "Verification accuracy on unseen identities: 0.9266 (+/- 0.0213, 600 pairs)",
        "  on lfw: 0.9000 (+/- 0.0200, 100 pairs)",
        "  on orl: 0.9500 (+/- 0.0100, 200 pairs)",
        "Operating point: threshold 0.7861 for FAR 0.01 on the eval pairs: FAR 0.0100, FRR 0.1520 (300 + 300 pairs)",
    ]
    assert lines[-1] == "Pushed model:    /serving/1"


def test_a_refused_operating_point_and_an_unevaluated_model_say_so():
    refused = {**EVALUATION, "pair_sets": {}, "operating_point": {"refused": "eval: needs 1000 negative pairs"}}
    lines = report._verdict(_model(evaluation_report.properties(refused), pushed_to=None))
    assert "Operating point: refused (eval: needs 1000 negative pairs)" in lines
    assert lines[-1] == "Pushed model:    none (accuracy below 0.7)"
    assert report._verdict(_model({})) == ["Model 7: not evaluated"]


def test_the_tars_over_every_pair_are_one_line_naming_the_fars_too_few_pairs_resolve():
    every = {"num_impostor_pairs": 177000, "num_genuine_pairs": 2700, "tar_at_far_1e-1": 0.99, "tar_at_far_1e-2": 0.95,
             "tar_at_far_1e-3": 0.8, "tar_at_far_1e-4": 0.61, "tar_at_far_1e-5": 0.4,
             "tar_at_far_1e-6": "not measurable: a FAR of 1e-06 needs at least 1000000 different-identity pairs"}
    lines = report._verdict(_model(evaluation_report.properties({**EVALUATION, "all_pairs": every})))
    assert ("TAR at FAR over every eval pair (177000 different-identity): 1e-1 0.9900, 1e-2 0.9500, 1e-3 0.8000, "
            "1e-4 0.6100, 1e-5 0.4000, 1e-6 unresolved") in lines
