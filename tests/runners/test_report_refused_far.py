"""The runner's summary when the pairs cannot measure the FAR asked for: nothing pushed, and the two
ways out named by their config keys."""

from components.embedding_evaluator.report import REFUSED
from runners import report

WHY = "eval, every pair: a FAR of 1e-06 needs at least 1000000 different-identity pairs; these pairs have 2100"


def test_a_refused_far_names_both_ways_out_by_their_keys():
    assert report._operating_point({REFUSED: WHY}, scored_every_pair=True) == [
        f"Operating point: refused ({WHY})",
        "  Nothing was pushed. Two ways out: a higher FAR (evaluator.operating_point.far), or more people in the "
        "eval split (every pair of it is scored already: evaluator.every_pair); see docs/own-faces.md"]
    drawn_pairs_only = report._operating_point({REFUSED: "eval: too few"}, scored_every_pair=False)
    assert drawn_pairs_only[1].endswith("or every pair of the eval split (evaluator.every_pair.enabled: true); "
                                        "see docs/own-faces.md")
