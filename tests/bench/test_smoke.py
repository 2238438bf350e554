"""The benchmark harness end to end on tiny sizes (`python -m bench --smoke`): it runs every
benchmark and writes well-formed, complete results. Times are not checked: they vary with load."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import registry

pytestmark = pytest.mark.pipeline  # the end-to-end benchmark runs the demo pipeline

REPO = Path(__file__).resolve().parents[2]


def _numbers(value):
    """Every number inside a JSON value."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _figures(value):
    """Every measured figure (a dict with a median) inside a JSON value."""
    if isinstance(value, dict):
        if "median" in value:
            yield value
        else:
            for item in value.values():
                yield from _figures(item)
    elif isinstance(value, list):
        for item in value:
            yield from _figures(item)


@pytest.fixture(scope="module")
def smoke_output(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output-dir", str(output_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    return output_dir


def test_each_benchmark_is_named_as_its_module_names_it():
    # The registry names the modules without importing them (for a quick --help): the names must agree.
    assert {name: registry.benchmark(name).NAME for name in registry.BENCHMARKS} == {
        name: name for name in registry.BENCHMARKS}


def test_every_benchmark_reports_a_complete_table(smoke_output):
    document = json.loads((smoke_output / "results.json").read_text())
    assert document["mode"] == "smoke"
    assert set(document["benchmarks"]) == set(registry.BENCHMARKS)
    for name, result in document["benchmarks"].items():
        assert result["rows"], name
        keys = [key for key, _ in result["columns"]]
        for row in result["rows"]:
            assert set(row) == set(keys), (name, row)
        assert list(_figures(result["rows"])), f"{name} measured nothing"
        assert result["verdict"] and result["target"], name


def test_figures_are_finite_medians_within_their_spread(smoke_output):
    document = json.loads((smoke_output / "results.json").read_text())
    assert all(math.isfinite(number) for number in _numbers(document))
    for figure in _figures(document["benchmarks"]):
        assert figure["min"] <= figure["median"] <= figure["max"], figure
        assert figure["n"] >= 1


def test_machine_and_versions_are_recorded(smoke_output):
    machine = json.loads((smoke_output / "results.json").read_text())["machine"]
    assert machine["cores"] >= 1 and machine["memory_gib"] > 0 and machine["cpu_model"]
    assert {"tensorflow", "tfx", "numpy"} <= set(machine["versions"])


def test_markdown_has_a_table_per_benchmark(smoke_output):
    document = json.loads((smoke_output / "results.json").read_text())
    markdown = (smoke_output / "results.md").read_text()
    for result in document["benchmarks"].values():
        assert f"## {result['title']}" in markdown
        header = "| " + " | ".join(title for _, title in result["columns"]) + " |"
        assert header in markdown
