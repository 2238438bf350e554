"""The config refuses what it cannot honour, naming the key, before anything runs."""

import math
from pathlib import Path

import pytest

from configs import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "local.yaml"


def test_demo_config_validates_with_absolute_paths():
    config = load_config(DEMO)
    assert config.pipeline_name == "arcface-demo"
    for path in (config.run_root, config.data.input_base, config.pusher.serving_dir):
        assert path.is_absolute()
    assert config.metadata_path == config.run_root / "metadata.sqlite"
    assert "--runner=SwitchingDirectRunner" in config.beam.pipeline_args()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"trainer": {"bogus": 1}}, "trainer.bogus: Extra inputs are not permitted"),
        ({"trainer": {"batch_size": 0}}, "trainer.batch_size: Input should be greater than 0"),
        ({"trainer": {"batch_size": "many"}}, "trainer.batch_size: Input should be a valid integer"),
        ({"trainer": {"margin": math.pi + 0.1}}, "trainer.margin: Input should be less than"),
        ({"evaluator": {"min_verification_accuracy": 1.5}}, "evaluator.min_verification_accuracy"),
        ({"beam": {"running_mode": "cluster"}}, "beam.running_mode"),
        ({"pipeline_name": "no spaces allowed"}, "pipeline_name"),
        ({"pusher": {"formats": ["onnx", "coreml"]}}, "pusher.formats.1: Input should be 'onnx', 'tflite'"),
    ],
)
def test_bad_values_are_refused_naming_the_key(overrides, message):
    with pytest.raises(ConfigError, match="local.yaml: .*" + message.replace(".", r"\.")):
        load_config(DEMO, overrides)


def test_missing_section_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline_name: x\nrun_root: r\npusher: {serving_dir: s}\n")
    with pytest.raises(ConfigError, match="bad.yaml: data: Field required"):
        load_config(bad)
    with pytest.raises(ConfigError, match="absent.yaml: cannot read the config"):
        load_config(tmp_path / "absent.yaml")
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level, got list"):
        load_config(bad)
