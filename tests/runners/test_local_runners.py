"""The local orchestrators beyond the default Beam one: LocalDagRunner with Beam on 2 worker
processes, then a re-run of the same pipeline through the `tfx` CLI's local engine.

Two pipeline runs, one training: the CLI run changes only the blessing threshold, so caching must
reuse everything up to the Trainer and run again only what depends on the evaluator's settings.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ml_metadata.proto import metadata_store_pb2

from configs import load_config
from inspection import metadata

pytestmark = pytest.mark.pipeline

REPO = Path(__file__).resolve().parents[2]
Execution = metadata_store_pb2.Execution
# Components before the evaluator: their inputs and settings do not change between the two runs.
UPSTREAM = {"ImportExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform", "Trainer"}


def _executions(config):
    store = metadata.open_store(config)
    return metadata.run_executions(store, metadata.find_run(store, config.pipeline_name))


@pytest.fixture(scope="module")
def local_run(pipeline_config, run_pipeline):
    """One LocalDagRunner run with Beam in multi-processing mode: (config path, runner output)."""
    config_path = pipeline_config("local_dag_runner", {"beam": {"running_mode": "multi_processing", "num_workers": 2}})
    return config_path, run_pipeline(config_path, extra_args=["--orchestrator", "local", "--log-level", "info"])


def test_local_dag_runner_with_beam_worker_processes(local_run):
    config_path, output = local_run
    config = load_config(config_path)
    executions = _executions(config)
    assert UPSTREAM | {"EmbeddingEvaluator"} <= set(executions)
    for name, execution in executions.items():
        assert execution.last_known_state == Execution.COMPLETE, name
    # Logs forwarded from Beam's SDK worker processes (in_memory mode has none).
    assert "sdk_worker_main" in output.stderr
    assert list(Path(config.pusher.serving_dir).rglob("saved_model.pb")), "no model was pushed"


def _tfx_cli(*args, env) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "tfx"), *args]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-5000:]}\n{result.stderr[-15000:]}")
    return result


def test_tfx_cli_local_engine_reruns_only_what_the_change_reaches(local_run, tmp_path):
    config_path, _ = local_run
    raw = yaml.safe_load(config_path.read_text())
    raw["evaluator"]["min_verification_accuracy"] = 0.5
    cli_config_path = tmp_path / "cli.yaml"
    cli_config_path.write_text(yaml.safe_dump(raw))
    config = load_config(cli_config_path)
    # The CLI keeps its pipelines in LOCAL_HOME; the pipeline file reads its config from ARCFACE_CONFIG.
    env = {**os.environ, "LOCAL_HOME": str(tmp_path / "tfx_home"), "ARCFACE_CONFIG": str(cli_config_path)}

    created = _tfx_cli("pipeline", "create", "--engine=local", f"--pipeline_path={REPO / 'tfx_cli_pipeline.py'}", env=env)
    assert f'Pipeline "{config.pipeline_name}" created successfully.' in created.stdout
    registered = json.loads((tmp_path / "tfx_home" / config.pipeline_name / "pipeline_args.json").read_text())
    assert registered["pipeline_root"] == str(config.pipeline_root)
    runs_before = len(metadata.pipeline_runs(metadata.open_store(config), config.pipeline_name))

    _tfx_cli("run", "create", "--engine=local", f"--pipeline_name={config.pipeline_name}", env=env)
    store = metadata.open_store(config)
    assert len(metadata.pipeline_runs(store, config.pipeline_name)) == runs_before + 1
    executions = _executions(config)
    for name in UPSTREAM:
        assert executions[name].last_known_state == Execution.CACHED, name
    assert executions["EmbeddingEvaluator"].last_known_state == Execution.COMPLETE
    for name in set(executions) - UPSTREAM:
        assert executions[name].last_known_state in (Execution.COMPLETE, Execution.CACHED), name
