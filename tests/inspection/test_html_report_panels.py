"""The HTML report's panels a user judges a run by: curves that say where a resumed training starts."""

from inspection import html_sections


def test_a_resumed_training_is_told_from_one_logged_from_its_start():
    fresh = {"loss": [(10, 7.5), (20, 5.0), (30, 2.5)]}
    resumed = {"loss": [(310, 2.0), (320, 1.9), (330, 1.8)], "accuracy": [(310, 0.5), (320, 0.6), (330, 0.7)]}
    assert html_sections.resumed_at(fresh) is None
    assert html_sections.resumed_at(resumed) == 310
    assert html_sections.resumed_at({"loss": [(300, 2.0)]}) is None  # one record: no interval to judge by
    assert html_sections._curves_png(resumed, 310).startswith(b"\x89PNG")
