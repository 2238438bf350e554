"""`python -m submission` refuses in one line: a config without the target's section, and a KFP host
nothing answers on (before the pipeline is compiled for it, with no FutureWarning or retries)."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from configs import load_config
from submission import cli as submit
from submission import kfp_requests

REPO = Path(__file__).resolve().parents[2]


def test_the_local_config_is_refused_in_one_line_with_its_exit_status():
    # A subprocess: what a user sees, the interpreter's own handling of an error included.
    done = subprocess.run([sys.executable, "-m", "submission", "kfp", "run", "--config", "configs/local.yaml",
                           "--dry-run"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", (
        "python -m submission: error: expected a kubeflow.kfp section in the config (see configs/kubeflow.yaml), "
        "got none\n"))


def _closed_port() -> int:
    with socket.socket() as probe:  # a port just freed: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_kfp_host_is_refused_in_one_line_before_compiling(kubeflow_config, capsys):
    host = f"http://127.0.0.1:{_closed_port()}/pipeline"
    config_path = kubeflow_config(kfp={"host": host, "experiment": "arcface"})
    start = time.monotonic()
    assert submit.main(["kfp", "run", "--config", str(config_path)]) == 1
    assert time.monotonic() - start < 5  # no compilation (20-45 s), no retries
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"python -m submission: error: kubeflow.kfp.host: cannot reach {host} (Connection "
                              "refused); nothing was compiled or sent\n")
    assert not load_config(config_path).kubeflow.pipeline_file.exists()


def test_a_host_that_stops_answering_is_one_connection_error_without_warnings(recwarn):
    # Reachable when checked, gone when sent: kfp's client is held to the same one line.
    host = f"http://127.0.0.1:{_closed_port()}"
    request = kfp_requests.KfpRequest(client={"host": host}, experiment={"name": "x", "namespace": None},
                                      method="run_pipeline", arguments={})
    with pytest.raises(ConnectionError) as refused:
        request.send()
    assert str(refused.value).startswith(f"kubeflow.kfp.host: {host} did not answer (")
    assert "\n" not in str(refused.value) and refused.value.__cause__ is None
    assert not [warning for warning in recwarn if issubclass(warning.category, FutureWarning)]
