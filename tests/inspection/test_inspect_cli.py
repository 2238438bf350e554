"""The inspection commands on a finished run (the session's tiny run): tables, JSON, and errors."""

import json
import os

import pytest

from inspection import cli as inspect_cli

pytestmark = pytest.mark.pipeline

# Components every version of the pipeline has; the evaluator and pusher are found by their outputs.
CORE = {"ImportExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform", "Trainer"}


@pytest.fixture
def inspect(tiny_run, capsys):
    """`inspect(*args)` -> what `python -m inspection --config <tiny run> *args` prints."""
    config_path = tiny_run[0].run_root / "config.yaml"

    def run(*args):
        inspect_cli.main(["--config", str(config_path), *args])
        return capsys.readouterr().out

    return run


def _producer(artifacts, type_name):
    [artifact] = [a for a in artifacts if a["type"] == type_name]
    return artifact["producer"]


def test_runs_and_executions(inspect):
    [run] = json.loads(inspect("runs", "--json"))
    executions = json.loads(inspect("executions", "--json"))
    assert run["executions"] == len(executions)
    assert run["states"] == {"COMPLETE": len(executions)}
    artifacts = json.loads(inspect("artifacts", "--json"))
    expected = CORE | {_producer(artifacts, "ModelEvaluation"), _producer(artifacts, "PushedModel")}
    assert expected <= {e["component"] for e in executions}
    assert [e["started"] for e in executions] == sorted(e["started"] for e in executions)
    # The local orchestrator runs one component at a time, all within the run.
    for e in executions:
        assert 0 < e["duration_s"] and e["offset_s"] + e["duration_s"] <= run["duration_s"] + 1e-6, e
    assert executions == json.loads(inspect("executions", "--run", run["run"], "--json"))

    table = inspect("executions").splitlines()
    assert table[0].split() == ["component", "execution", "state", "started", "(UTC)", "duration", "s"]
    assert [line.split()[0] for line in table[1:]] == [e["component"] for e in executions]
    assert run["run"] in inspect("runs")


def test_artifacts_with_uris_and_properties(inspect):
    artifacts = json.loads(inspect("artifacts", "--json"))
    types = {"Examples", "Schema", "TransformGraph", "Model", "ModelEvaluation", "ModelBlessing", "PushedModel"}
    assert types <= {a["type"] for a in artifacts}
    assert all(os.path.exists(a["uri"]) for a in artifacts)
    [model] = json.loads(inspect("artifacts", "--type", "Model", "--json"))
    assert model["producer"] == "Trainer"
    [blessing] = [a for a in artifacts if a["type"] == "ModelBlessing"]
    assert blessing["properties"]["current_model_id"] == model["artifact"]
    rows = inspect("artifacts", "--type", "Model").splitlines()
    assert len(rows) == 2 and model["uri"] in rows[1]


def test_lineage_of_the_pushed_model_and_of_the_raw_examples(inspect):
    artifacts = json.loads(inspect("artifacts", "--json"))
    [pushed] = [a for a in artifacts if a["type"] == "PushedModel"]
    [raw] = [a for a in artifacts if a["producer"] == "ImportExampleGen"]
    evaluator, pusher = _producer(artifacts, "ModelEvaluation"), pushed["producer"]
    from_pushed = json.loads(inspect("lineage", str(pushed["artifact"]), "--json"))
    assert from_pushed["downstream"] == []
    assert [s["component"] for s in from_pushed["upstream"] if s["depth"] == 1] == [pusher]
    upstream = {s["component"] for s in from_pushed["upstream"]}
    # The schema is the reviewed file (ImportSchemaGen), so statistics feed the validator and the
    # pushed version's model card (its data summary) only, and anomalies feed nothing.
    assert CORE - {"ExampleValidator"} | {evaluator, pusher} <= upstream
    assert "ExampleValidator" not in upstream
    from_raw = json.loads(inspect("lineage", str(raw["artifact"]), "--json"))
    downstream = {s["component"] for s in from_raw["downstream"]}
    # The reviewed schema is read from its file, not made from the examples.
    assert CORE - {"ImportExampleGen", "SchemaGen"} | {evaluator, pusher} <= downstream
    assert "SchemaGen" not in downstream
    text = inspect("lineage", str(pushed["artifact"]))
    assert text.startswith(f"artifact {pushed['artifact']}: PushedModel written by {pusher}")
    assert "downstream (what used it), nearest first:\n(none)" in text


def test_models_show_the_evaluation_and_the_verdict(inspect):
    [model] = json.loads(inspect("models", "--json"))
    with open(os.path.join(model["evaluation_uri"], "metrics.json")) as f:
        written = json.load(f)
    for name in ["verification_accuracy", "verification_accuracy_std", "num_pairs"]:
        assert model["metrics"][name] == pytest.approx(written[name], abs=1e-6)  # MLMD keeps 6 decimals
    [blessing] = [a for a in json.loads(inspect("artifacts", "--json")) if a["type"] == "ModelBlessing"]
    assert model["blessed"] == bool(blessing["properties"]["blessed"])
    assert model["blessed"] is True  # the tiny run is trained to pass the tiny bar
    assert os.path.isdir(model["pushed_to"])
    header, row = inspect("models").splitlines()
    assert header.split()[:4] == ["model", "run", "accuracy", "+/-"]
    assert row.split()[0] == str(model["model"])  # its id, not the URI the evaluation also records
    assert f"{model['metrics']['verification_accuracy']:.4f}" in row.split()


def test_mistakes_are_named_in_one_line(tiny_run, capsys):
    config = ["--config", str(tiny_run[0].run_root / "config.yaml")]
    for args, expected in ((["executions", "--run", "nope"], "expected a run of pipeline 'arcface-test', got 'nope'; "
                                                             "its runs are: "),
                           (["lineage", "987654"], "expected the id of an artifact in this store, got 987654")):
        assert inspect_cli.main([*config, *args]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"python -m inspection: error: {expected}") and len(err.splitlines()) == 1, err



def test_ctrl_c_ends_in_one_line(monkeypatch, capsys):
    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(inspect_cli, "load_config", interrupted)
    assert inspect_cli.main(["runs"]) == 130
    assert capsys.readouterr().err == "python -m inspection: interrupted\n"
