"""The HTML report's panels a user judges a run by: curves that say where a resumed training starts,
and the operating point shipped with the model (or why none was)."""

import json

from components.embedding_evaluator import catalog
from inspection import html_sections


def test_a_resumed_training_is_told_from_one_logged_from_its_start():
    fresh = {"loss": [(10, 7.5), (20, 5.0), (30, 2.5)]}
    resumed = {"loss": [(310, 2.0), (320, 1.9), (330, 1.8)], "accuracy": [(310, 0.5), (320, 0.6), (330, 0.7)]}
    assert html_sections.resumed_at(fresh) is None
    assert html_sections.resumed_at(resumed) == 310
    assert html_sections.resumed_at({"loss": [(300, 2.0)]}) is None  # one record: no interval to judge by
    assert html_sections._curves_png(resumed, 310).startswith(b"\x89PNG")


POINT = {"threshold": 0.41234, "criterion": "FAR 0.001", "target_far": 0.001, "far": 0.0008, "far_interval": [0.0002, 0.002],
         "frr": 0.05, "frr_interval": [0.03, 0.08], "tar": 0.95, "confidence": 0.95, "false_accepts": 4,
         "num_negative_pairs": 5000, "false_rejects": 20, "num_positive_pairs": 400, "pairs": "eval"}


def _model(tmp_path, point) -> dict:
    (tmp_path / catalog.METRICS_FILE).write_text(json.dumps({catalog.OPERATING_POINT: point}))
    return {"evaluation_uri": str(tmp_path)}


def test_the_operating_point_panel_gives_threshold_rates_intervals_and_counts(tmp_path):
    shown = html_sections.operating_point(None, _model(tmp_path, POINT))
    expected = ["<h3>Operating point</h3>", "0.4123 (same person if the cosine similarity is at least this)",
                "FAR 0.001, on the eval pairs", "0.0008 [0.0002, 0.002] (4 of 5000 pairs)",
                "0.05 [0.03, 0.08] (20 of 400 pairs)", "Intervals: 95%"]
    assert [text for text in expected if text not in shown] == []


def test_a_refused_operating_point_ships_no_threshold(tmp_path):
    refused = {"refused": "eval: a FAR of 1e-06 needs at least 1000000 different-identity pairs", "target_far": 1e-6}
    shown = html_sections.operating_point(None, _model(tmp_path, refused))
    assert "None: eval: a FAR of 1e-06 needs at least 1000000" in shown and "nothing was pushed" in shown
    assert "threshold" not in shown.replace("No threshold was shipped", "")
