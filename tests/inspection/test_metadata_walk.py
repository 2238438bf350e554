"""Walking a store shaped like TFX's (the `history` fixture): runs, executions, artifacts,
lineage both ways and each model's verdict, with exact answers; and the terminal tables.
"""

import pytest

from inspection import metadata, views
from inspection.tables import Column, table


def _components(steps):
    return sorted((step["depth"], step["component"], step["run"]) for step in steps)


def test_runs_belong_to_their_pipeline_oldest_first(history):
    store, _ = history
    assert [r.name for r in metadata.pipeline_runs(store, "arcface")] == ["r1", "r2"]
    assert metadata.find_run(store, "arcface").name == "r2"
    assert metadata.find_run(store, "arcface", "r1").name == "r1"
    unknown = "expected a run of pipeline 'arcface', got 'r9'; its runs are: r1, r2"
    with pytest.raises(LookupError, match=unknown):
        metadata.find_run(store, "arcface", "r9")
    with pytest.raises(LookupError, match="pipeline 'nobody' has no runs"):
        metadata.find_run(store, "nobody")
    assert [(r["run"], r["executions"], r["states"]) for r in views.runs(store, "arcface")] == [
        ("r1", 4, {"COMPLETE": 4}),
        ("r2", 4, {"CACHED": 1, "COMPLETE": 3}),
    ]


def test_executions_of_a_run_in_start_order(history):
    store, _ = history
    rows = views.executions(store, metadata.find_run(store, "arcface", "r2"))
    assert [(r["component"], r["state"]) for r in rows] == [
        ("ImportExampleGen", "CACHED"),
        ("Trainer", "COMPLETE"),
        ("EmbeddingEvaluator", "COMPLETE"),
        ("Pusher", "COMPLETE"),
    ]
    assert all(r["duration_s"] >= 0 and r["offset_s"] >= 0 for r in rows)
    [running] = views.executions(store, metadata.find_run(store, "other-team"))
    assert (running["state"], running["duration_s"]) == ("RUNNING", None)  # not over: no duration yet


def test_artifacts_of_a_run_name_their_first_producer(history):
    store, ids = history
    r2 = metadata.find_run(store, "arcface", "r2")
    rows = {r["artifact"]: r for r in views.run_artifacts(store, r2)}
    written = ["examples", "model2", "evaluation2", "blessing2", "pushed2"]
    assert sorted(rows) == sorted(ids[k] for k in written)
    # The cached examples were written by r1's ImportExampleGen first; r2 only reused them.
    assert (rows[ids["examples"]]["producer"], rows[ids["examples"]]["run"]) == ("ImportExampleGen", "r1")
    assert rows[ids["examples"]]["properties"] == {"span": 0}
    [model] = views.run_artifacts(store, r2, "Model")
    assert (model["uri"], model["producer"], model["run"]) == ("/x/model/6", "Trainer", "r2")
    unknown = "expected an artifact type of run r2, got 'Modle'; its types are: Examples, Model,"
    with pytest.raises(LookupError, match=unknown):
        views.run_artifacts(store, r2, "Modle")


def test_lineage_walks_events_both_ways_across_runs(history):
    store, ids = history
    upstream = views.lineage(store, ids["evaluation2"])["upstream"]
    # Both runs' writers of the reused examples are upstream (a cached write is a write), and the
    # trainer of the baseline model the evaluator read.
    assert _components(upstream) == [
        (1, "EmbeddingEvaluator", "r2"),
        (2, "ImportExampleGen", "r1"),
        (2, "ImportExampleGen", "r2"),
        (2, "Trainer", "r1"),
        (2, "Trainer", "r2"),
    ]
    found = views.lineage(store, ids["model"])
    assert _components(found["downstream"]) == [
        (1, "EmbeddingEvaluator", "r1"),
        (1, "EmbeddingEvaluator", "r2"),
        (1, "Pusher", "r1"),
        (2, "Pusher", "r2"),
    ]
    pusher = next(s for s in found["downstream"] if s["component"] == "Pusher" and s["run"] == "r1")
    assert (pusher["inputs"], pusher["outputs"]) == ([ids["model"], ids["blessing"]], [ids["pushed"]])
    # Every artifact of both runs: each is the model, made from it, or read beside it.
    assert {a["artifact"] for a in found["artifacts"]} == {i for k, i in ids.items() if k != "evaluation_dir"}
    assert views.lineage(store, ids["pushed"])["downstream"] == []
    assert [s.depth for s in metadata.lineage(store, ids["pushed"], "upstream", max_depth=1)] == [1]
    with pytest.raises(LookupError, match="expected the id of an artifact in this store, got 999"):
        views.lineage(store, 999)
    with pytest.raises(ValueError, match="direction: expected one of .*, got 'sideways'"):
        metadata.lineage(store, ids["model"], "sideways")


def test_models_pair_each_verdict_with_its_evaluation_and_push(history):
    store, ids = history
    rows = views.models(store, "arcface")
    # r2's evaluator read the first model as its baseline: that is no verdict on the first model.
    assert [(r["model"], r["evaluation"], r["blessed"], r["pushed_to"]) for r in rows] == [
        (ids["model"], ids["evaluation"], True, "/serving/1"),
        (ids["model2"], ids["evaluation2"], False, None),
    ]
    # TFX's own properties are not metrics.
    assert rows[0]["metrics"] == {"num_pairs": 100.0, "verification_accuracy": 0.91}
    assert rows[1]["blessing_message"] == "0.85 < 0.9"
    [r2] = views.models(store, "arcface", metadata.find_run(store, "arcface", "r2"))
    assert (r2["model"], r2["evaluation"], r2["run"]) == (ids["model2"], ids["evaluation2"], "r2")
    [untouched] = views.models(store, "other-team")
    assert (untouched["uri"], untouched["evaluation"], untouched["metrics"], untouched["blessed"]) == (
        "/y/model/1", None, {}, None,
    )


def test_table_aligns_numbers_right_and_cuts_long_cells():
    rows = [
        {"name": "Trainer", "seconds": 35.8, "note": "a" * 30},
        {"name": "Pusher", "seconds": 0.09, "note": None},
    ]
    columns = [Column("component", "name"), Column("s", "seconds"), Column("note", "note", max_width=10)]
    assert table(rows, columns).splitlines() == [
        "component     s  note",
        "Trainer    35.8  aaaaaaaaa…",
        "Pusher     0.09  -",
    ]
