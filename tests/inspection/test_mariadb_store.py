"""A shared store: the pipeline records its run in a real MariaDB server, the commands read it back.

The one test here that runs the whole pipeline itself (minutes); it needs Debian's mariadb-server.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mariadb_server import MariaDBServer

pytestmark = pytest.mark.pipeline

REPO = Path(__file__).resolve().parents[2]
# Components every version of the pipeline has.
CORE = {"ImportExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform", "Trainer"}


@pytest.fixture(scope="module")
def mariadb(request):
    server = MariaDBServer(database="arcface_mlmd", user="tfx", password="tfx-test-password")
    request.addfinalizer(server.stop)
    server.start()
    return server


def _command(module, config_path, *args):
    """Runs one of the project's commands as a user would; returns the finished process."""
    return subprocess.run(
        [sys.executable, "-m", module, "--config", str(config_path), *args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )


def _inspect(config_path, *args):
    done = _command("inspection", config_path, *args, "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_pipeline_on_mariadb_is_read_back_by_the_inspection_commands(
    mariadb, pipeline_config, run_pipeline, tmp_path
):
    config_path = pipeline_config("mariadb", {"metadata": {"mysql": mariadb.settings}})
    store = f"mysql://tfx@127.0.0.1:{mariadb.settings['port']}/arcface_mlmd"
    output = run_pipeline(config_path)
    assert f"Metadata store:  {store}" in output.stdout
    assert not (config_path.parent / "metadata.sqlite").exists(), "the run must not fall back to sqlite"

    [run] = _inspect(config_path, "runs")
    executions = _inspect(config_path, "executions", "--run", run["run"])
    assert run["states"] == {"COMPLETE": len(executions)}
    assert CORE <= {e["component"] for e in executions}

    artifacts = _inspect(config_path, "artifacts")
    assert all(os.path.exists(a["uri"]) for a in artifacts)
    [model] = _inspect(config_path, "models")
    with open(os.path.join(model["evaluation_uri"], "metrics.json")) as f:
        written = json.load(f)
    # ML Metadata keeps 6 decimals of a float.
    accuracy = written["verification_accuracy"]
    assert model["metrics"]["verification_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert model["blessed"] is True
    assert os.path.isdir(model["pushed_to"])

    [pushed] = [a for a in artifacts if a["type"] == "PushedModel"]
    lineage = _inspect(config_path, "lineage", str(pushed["artifact"]))
    # With the reviewed schema (ImportSchemaGen) statistics feed the validator and the model card only.
    assert CORE - {"ExampleValidator", "StatisticsGen"} <= {s["component"] for s in lineage["upstream"]}

    report = tmp_path / "report.html"
    done = _command("inspection.html_report", config_path, "--output", str(report))
    assert done.returncode == 0, done.stderr[-3000:]
    assert store in report.read_text()


def test_a_wrong_database_is_an_error_not_a_new_store(mariadb, pipeline_config):
    typo = {**mariadb.settings, "database": "arcface_mlmd_typo"}
    config_path = pipeline_config("mariadb-typo", {"metadata": {"mysql": typo}})
    done = _command("inspection", config_path, "runs")
    assert done.returncode == 1
    port = mariadb.settings["port"]
    where = f"mysql://tfx@127.0.0.1:{port}/arcface_mlmd_typo"
    assert f"python -m inspection: error: cannot open the ML Metadata store at {where}" in done.stderr
    # The user may create databases; the reader still must not.
    assert "arcface_mlmd_typo" not in mariadb.databases()
