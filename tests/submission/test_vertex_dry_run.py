"""`python -m submission vertex run|schedule --dry-run`: the PipelineJob / PipelineJobSchedule calls printed,
with the config's project, region, remote pipeline root and cron; nothing compiled or written."""

import json

import pytest
import yaml

from configs import load_config
from runners import kubeflow_v2_runner
from submission import cli as submit

VERTEX = {"project": "arcface-prod", "region": "us-central1", "service_account": "runner@arcface-prod.iam.gserviceaccount.com"}


def _dry_run(capsys, action, config_path) -> dict:
    submit.main(["vertex", action, "--config", str(config_path), "--dry-run"])
    shown = capsys.readouterr()
    assert "is compiled when it is sent (or by python -m runners.kubeflow_v2_runner)" in shown.err
    return json.loads(shown.out)


def test_vertex_run_and_schedule_requests(kubeflow_config, capsys):
    config_path = kubeflow_config(vertex=VERTEX)
    config = load_config(config_path)
    run, schedule = _dry_run(capsys, "run", config_path), _dry_run(capsys, "schedule", config_path)

    job = {
        "display_name": config.pipeline_name,
        "template_path": str(config.kubeflow.pipeline_file),
        "pipeline_root": "gs://my-bucket/arcface/pipeline",
        "project": "arcface-prod",
        "location": "us-central1",
    }
    assert run == {"pipeline_job": job, "schedule": None, "arguments": {"service_account": VERTEX["service_account"]}}
    assert schedule == {
        "pipeline_job": job,
        "schedule": {"display_name": config.pipeline_name},
        "arguments": {
            "cron": config.kubeflow.schedule.cron,
            "max_concurrent_run_count": 1,
            "service_account": VERTEX["service_account"],
        },
    }
    # A dry run compiles nothing; the template it names is where the compiler writes this config's spec.
    assert not config.kubeflow.pipeline_file.exists()
    assert kubeflow_v2_runner.compile_pipeline(config) == config.kubeflow.pipeline_file
    spec = yaml.safe_load(config.kubeflow.pipeline_file.read_text())
    assert spec["pipelineInfo"]["name"] == config.pipeline_name
    assert spec["deploymentSpec"]["executors"]["Trainer_executor"]["container"]["image"] == config.kubeflow.image


def test_a_config_without_the_target_section_is_refused_before_compiling(kubeflow_config, capsys):
    config_path = kubeflow_config()
    raw = yaml.safe_load(config_path.read_text())
    # (and its Trainer machines: two of them need a Vertex job)
    del raw["kubeflow"]["vertex"], raw["kubeflow"]["schedule"], raw["kubeflow"]["trainer"]
    config_path.write_text(yaml.safe_dump(raw))
    for action in ("run", "schedule"):
        assert submit.main(["vertex", action, "--config", str(config_path), "--dry-run"]) == 1
        assert capsys.readouterr().err == ("python -m submission: error: expected a kubeflow.vertex section in the "
                                           "config (see configs/kubeflow.yaml), got none\n")
    assert submit.main(["kfp", "schedule", "--config", str(config_path), "--dry-run"]) == 1
    assert capsys.readouterr().err == ("python -m submission: error: expected a kubeflow.schedule section in the "
                                       "config, got none\n")
    assert not load_config(config_path).kubeflow.pipeline_file.exists()
