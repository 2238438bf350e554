"""`python -m bench --only NAME` replaces NAME's result in the files and keeps every other one."""

import json

from bench.__main__ import main
from bench.results import Result, write

KEPT = Result(
    name="trainer", title="Trainer (kept)", target="t", columns=[("x", "x")],
    rows=[{"x": {"median": 1.0, "min": 1.0, "max": 1.0, "n": 1}}], met=True, verdict="v",
    notes=[], seconds=1.0,
    run={"date": "2026-01-01T00:00:00Z", "commit": "abc", "load_start": [1.0, 1.0, 1.0],
         "load_end": [1.0, 1.0, 1.0]},
)
MACHINE = {"cpu_model": "cpu", "cores": 2, "memory_gib": 1.0, "kernel": "k", "python": "3",
           "versions": {"tensorflow": "2"}}


def test_only_replaces_its_own_result_and_keeps_the_others(tmp_path):
    write(tmp_path, {"trainer": KEPT}, MACHINE, "smoke", {"trainer": {"kept": True}}, ["trainer"])
    main(["--smoke", "--only", "evaluation", "--output-dir", str(tmp_path)])
    document = json.loads((tmp_path / "results.json").read_text())
    assert list(document["benchmarks"]) == ["trainer", "evaluation"]  # the harness's order
    assert document["benchmarks"]["trainer"]["title"] == "Trainer (kept)"
    assert document["settings"]["trainer"] == {"kept": True}
    run = document["benchmarks"]["evaluation"]["run"]
    assert set(run) == {"date", "commit", "load_start", "load_end"}
    markdown = (tmp_path / "results.md").read_text()
    assert "## Trainer (kept)" in markdown and "2026-01-01T00:00:00Z" in markdown


def test_full_results_are_never_mixed_with_smoke_ones(tmp_path):
    write(tmp_path, {"trainer": KEPT}, MACHINE, "full", {"trainer": {}}, ["trainer"])
    main(["--smoke", "--only", "evaluation", "--output-dir", str(tmp_path)])
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["mode"] == "smoke" and list(document["benchmarks"]) == ["evaluation"]
