"""The report's low-FAR, group and IJB tables, from an evaluator's metrics.json."""

import json

from components.embedding_evaluator import catalog
from inspection import evaluation_html, html_sections

METRICS = {
    catalog.OPERATING_POINT: {"far": 1e-3, "frr": 0.05, "pairs": "eval, every pair"},
    catalog.ALL_PAIRS: {
        "num_impostor_pairs": 177000, "num_genuine_pairs": 2700, "intervals": "bootstrap over identities (200 ...)",
        **{catalog.tar_key(far): 0.9 for far in ("1e-1", "1e-2", "1e-3", "1e-4", "1e-5")},
        catalog.tar_key("1e-6"): "not measurable: a FAR of 1e-06 needs at least 1000000 different-identity pairs",
        catalog.interval_key(catalog.tar_key("1e-4")): [0.85, 0.93],
    },
    catalog.GROUPS: {"region": {"within": {"east": {
        "far": 4e-3, "false_accepts": 40, "impostor_pairs": 10000, "far_interval": [0.002, 0.007],
        "frr": 0.1, "false_rejects": 5, "genuine_pairs": 50, "frr_interval": [0.04, 0.2]}}, "across": {}}},
    catalog.PAIR_SETS: {"ijbc": {"num_pairs": 500, catalog.tar_key("1e-2"): 0.7,
                                 catalog.IDENTIFICATION: {"g1": {"rank_1": 0.8, "tpir_at_fpir_1e-1": 0.6}}}},
}


def test_the_tables_show_every_far_group_and_ijb_figure(tmp_path):
    (tmp_path / catalog.METRICS_FILE).write_text(json.dumps(METRICS))
    model = {"evaluation_uri": str(tmp_path)}
    low = evaluation_html.low_far(None, model)
    assert "177,000 different-identity" in low and "0.85 - 0.93" in low and "not measurable: a FAR of 1e-06" in low
    groups = evaluation_html.groups(None, model)
    assert "region=east" in groups and "40 of 10000" in groups and "0.002 - 0.007" in groups
    ijb = evaluation_html.ijb(None, model)
    assert "IJB set ijbc" in ijb and "tpir_at_fpir_1e-1" in ijb and ">g1<" in ijb
    assert all(section in html_sections.MODEL_SECTIONS for section in (evaluation_html.low_far,
                                                                       evaluation_html.groups, evaluation_html.ijb))
    (tmp_path / catalog.METRICS_FILE).write_text(json.dumps({"verification_accuracy": 0.9}))
    assert evaluation_html.low_far(None, model) == evaluation_html.groups(None, model) == evaluation_html.ijb(None, model) == ""


def test_groups_with_the_operating_point_refused_are_not_at_a_shipped_threshold(tmp_path):
    refused = {**METRICS, catalog.OPERATING_POINT: {"refused": "eval: a FAR of 1e-06 needs ..."}}
    (tmp_path / catalog.METRICS_FILE).write_text(json.dumps(refused))
    groups = evaluation_html.groups(None, {"evaluation_uri": str(tmp_path)})
    assert f"Groups at the {catalog.UNSHIPPED_THRESHOLD}" in groups and "region=east" in groups
    assert "shipped threshold" not in groups.replace(catalog.UNSHIPPED_THRESHOLD, "")
