"""`python -m submission kfp run|schedule`: the real kfp.Client, against a KFP API server on 127.0.0.1
that records the requests, sends what `--dry-run` prints."""

import json

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from kfp_api_server import API, KfpApiServer

from configs import load_config
from submission import cli as submit

KFP = {"namespace": "team-a", "experiment": "arcface-nightly", "service_account": "pipeline-runner"}


def _submit(capsys, *argv) -> str:
    submit.main(list(argv))
    return capsys.readouterr().out


def _spec(document: dict) -> pipeline_spec_pb2.PipelineSpec:
    return json_format.ParseDict(document, pipeline_spec_pb2.PipelineSpec())


def test_kfp_run_and_schedule_reach_the_api_as_dry_run_prints(kubeflow_config, capsys):
    with KfpApiServer() as server:
        config_path = kubeflow_config(kfp={"host": server.url, **KFP})
        run_output = _submit(capsys, "kfp", "run", "--config", str(config_path))
        schedule_output = _submit(capsys, "kfp", "schedule", "--config", str(config_path))
    config = load_config(config_path)
    dry_run = json.loads(_submit(capsys, "kfp", "schedule", "--config", str(config_path), "--dry-run"))

    # The experiment is looked up, created once, and found again for the schedule.
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", f"{API}/experiments"),
        ("POST", f"{API}/experiments"),
        ("POST", f"{API}/runs"),
        ("GET", f"{API}/experiments"),
        ("POST", f"{API}/recurringruns"),
    ]
    lookup, create, run, _, recurring = server.requests
    assert lookup.query["namespace"] == "team-a"
    assert json.loads(lookup.query["filter"])["predicates"][0] == {
        "operation": 1,  # EQUALS
        "key": "display_name",
        "stringValue": "arcface-nightly",
    }
    assert create.body == {"display_name": "arcface-nightly", "namespace": "team-a"}
    # The server numbers what it creates by request: the ids the command prints are the server's.
    assert "run_id: run-3" in run_output
    assert "recurring_run_id: recurring-5" in schedule_output

    compiled = _spec(yaml.safe_load(config.kubeflow.pipeline_file.read_text()))
    for sent in (run.body, recurring.body):
        assert sent["experiment_id"] == "experiment-1"
        assert _spec(sent["pipeline_spec"]) == compiled
        assert sent["runtime_config"]["pipeline_root"] == "gs://my-bucket/arcface/pipeline"
        assert sent["service_account"] == "pipeline-runner"
    assert run.body["display_name"].startswith(f"{config.pipeline_name}-")

    # What the schedule sent is what the dry run prints.
    arguments = dry_run["arguments"]
    assert dry_run["client"] == {"host": server.url, "namespace": "team-a"}
    assert dry_run["experiment"] == {"name": "arcface-nightly", "namespace": "team-a"}
    assert recurring.body["display_name"] == arguments["job_name"] == config.pipeline_name
    assert recurring.body["trigger"] == {"cron_schedule": {"cron": arguments["cron_expression"]}}
    assert arguments["cron_expression"] == "0 " + config.kubeflow.schedule.cron  # KFP's leading seconds
    assert recurring.body["no_catchup"] is arguments["no_catchup"] is True
    assert int(recurring.body["max_concurrency"]) == arguments["max_concurrency"] == 1
    assert recurring.body["mode"] == "ENABLE"
    assert recurring.body["runtime_config"]["pipeline_root"] == arguments["pipeline_root"]
    assert arguments["pipeline_package_path"] == str(config.kubeflow.pipeline_file)
