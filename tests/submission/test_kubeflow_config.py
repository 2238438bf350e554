"""The Kubeflow / Vertex config: remote URIs pass as written, local paths and bad settings are refused."""

from pathlib import Path

import pytest

from configs import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
KUBEFLOW = REPO / "configs" / "kubeflow.yaml"


def test_remote_uris_are_kept_as_written():
    config = load_config(KUBEFLOW)
    assert config.run_root == "gs://my-bucket/arcface"
    assert config.pipeline_root == "gs://my-bucket/arcface/pipeline"
    assert config.data.input_base == "gs://my-bucket/faces"
    assert config.pusher.serving_dir == "gs://my-bucket/serving"
    assert config.beam.pipeline_args()[0] == "--runner=DataflowRunner"
    assert config.kubeflow.schedule.cron == "0 3 * * 1"


def test_local_configs_still_get_absolute_paths():
    config = load_config(REPO / "configs" / "local.yaml", {"run_root": "relative/run"})
    assert config.run_root == Path.cwd() / "relative" / "run"
    assert config.pipeline_root == config.run_root / "pipeline"
    assert config.kubeflow is None


def test_local_paths_are_refused_on_kubeflow_naming_them():
    with pytest.raises(ConfigError, match=r"kubeflow: .*expected remote URIs .*got local paths: run_root \(/.*/runs/x\), pusher\.serving_dir"):
        load_config(KUBEFLOW, {"run_root": "runs/x", "pusher": {"serving_dir": "/srv/models"}})


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"kubeflow": {"image": "example.com/arcface"}}, "kubeflow.image: String should match"),  # no tag
        ({"kubeflow": {"pipeline_file": "spec.json"}}, "kubeflow.pipeline_file: .*expected a .yaml file"),
        ({"kubeflow": {"schedule": {"cron": "0 0 3 * * 1"}}}, "kubeflow.schedule.cron"),  # six fields
        ({"kubeflow": {"kfp": {"host": "kfp.example.com"}}}, "kubeflow.kfp.host"),
        ({"kubeflow": {"vertex": {"region": "Europe West"}}}, "kubeflow.vertex.region"),
        ({"kubeflow": {"vertex": {"zone": "a"}}}, "kubeflow.vertex.zone: Extra inputs are not permitted"),
        ({"beam": {"args": ["runner=DataflowRunner"]}}, "beam.args.0: String should match"),
        ({"run_root": 5}, "run_root: .*expected a local path or a URI"),
    ],
)
def test_bad_kubeflow_settings_are_refused_naming_the_key(overrides, message):
    with pytest.raises(ConfigError, match="kubeflow.yaml: .*" + message):
        load_config(KUBEFLOW, overrides)
