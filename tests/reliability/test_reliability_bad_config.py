"""Bad configs given to every entry point that starts the pipeline (issue #9, point 6).

tests/configs/test_config.py checks that `load_config` names each bad key; this checks what a user
sees from the commands: the local runner, the tfx CLI's pipeline file and the Kubeflow compiler
exit non-zero naming the key, before any component runs: no pipeline root, no ML Metadata store,
no serving folder, no compiled spec; each says it in one line, not a traceback. The local runner
refuses a missing input folder by its key as well.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.run_lock import LOCK_FILE
from tests.reliability.refusals import assert_refused

pytestmark = pytest.mark.timeout(600)

REPO = Path(__file__).resolve().parents[2]
# Four faults at once: pydantic reports every one, each by its key.
FAULTS = {
    "trainer": {"bogus_key": 1, "embedding_size": "big", "batch_size": 0, "margin": 3.2},
}
NAMED = [
    "trainer.bogus_key: Extra inputs are not permitted",
    "trainer.embedding_size: Input should be a valid integer",
    "trainer.batch_size: Input should be greater than 0",
    "trainer.margin: Input should be less than 3.14159",
]


def _nothing_made(run_root: Path) -> None:
    for made in ("pipeline", "metadata.sqlite", "serving", LOCK_FILE):
        assert not (run_root / made).exists(), f"{run_root / made} was made by a refused run"


def test_local_runner_refuses_bad_values_naming_each_key(pipeline_config, run_pipeline):
    config_path = pipeline_config("bad-values", FAULTS)
    assert_refused(run_pipeline(config_path, expect_success=False),
                   f"local_runner.py: error: {config_path}: ", *NAMED)
    _nothing_made(config_path.parent)


def test_local_runner_refuses_a_missing_or_empty_input_folder_naming_the_key(pipeline_config, run_pipeline):
    # Without data.synthetic nothing can be generated in its place.
    config_path = pipeline_config("missing-input", {"data": {"synthetic": None}})
    run_root = config_path.parent
    assert_refused(run_pipeline(config_path, expect_success=False),
                   f"data.input_base: {run_root / 'data'} does not exist")
    (run_root / "data").mkdir()
    (run_root / "data" / "faces.csv").write_text("not what data.file_pattern asks for\n")
    assert_refused(run_pipeline(config_path, expect_success=False),
                   f"data.input_base: {run_root / 'data'} holds no file matching data.file_pattern '*.tfrecord*'")
    _nothing_made(run_root)


def test_tfx_cli_pipeline_file_refuses_bad_values_naming_each_key(pipeline_config):
    config_path = pipeline_config("bad-values-tfx-cli", FAULTS)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tfx"), "pipeline", "create", "--engine=local",
         "--pipeline_path=tfx_cli_pipeline.py"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "ARCFACE_CONFIG": str(config_path)},
    )
    assert_refused(result, f"error: {config_path}: ", *NAMED)
    _nothing_made(config_path.parent)


def test_kubeflow_compile_refuses_bad_values_naming_each_key(tmp_path):
    config = yaml.safe_load((REPO / "configs" / "kubeflow.yaml").read_text())
    config["kubeflow"]["pipeline_file"] = str(tmp_path / "spec" / "arcface.yaml")
    config["trainer"].update(FAULTS["trainer"])
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "runners.kubeflow_v2_runner", "--config", str(tmp_path / "bad.yaml")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert_refused(result, f"kubeflow_v2_runner.py: error: {tmp_path / 'bad.yaml'}: ", *NAMED)
    assert not (tmp_path / "spec").exists()
