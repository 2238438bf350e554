"""Strict types: a YAML value of the wrong type is refused naming the key, never converted."""

from pathlib import Path

import pytest
import yaml

from configs import ConfigError, load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "local.yaml"


def _config_with(tmp_path, section: str, line: str) -> Path:
    """A small config whose `section` holds `line`, YAML as a user types it."""
    path = tmp_path / "config.yaml"
    path.write_text(f"pipeline_name: strict\nrun_root: {tmp_path}\ndata: {{input_base: {tmp_path}/data}}\n"
                    f"pusher: {{serving_dir: {tmp_path}/serving}}\n{section}:\n  {line}\n")
    return path


@pytest.mark.parametrize(
    "section, line, message",
    [
        # YAML 1.1 reads yes as True: it was batch size 1, exit 0.
        ("trainer", "batch_size: yes", "trainer.batch_size: Input should be a valid integer, got True "
                                       "(YAML reads yes/no/on/off/true/false as a boolean)"),
        ("trainer", "train_steps: 10.0", "trainer.train_steps: Input should be a valid integer, got 10.0"),
        ("transform", "image_size: '64'", "transform.image_size: Input should be a valid integer, got '64' "
                                          "(text, not a number: remove the quotes)"),
        ("trainer", "learning_rate: 1e-3", "trainer.learning_rate: Input should be a valid number, got '1e-3' "
                                           "(text: YAML 1.1 reads an exponent without a dot as text; write 0.001)"),
        ("trainer", "flip_test_time_augmentation: 1", "trainer.flip_test_time_augmentation: Input should be a valid boolean, got 1"),
        ("trainer", "backbone: 50", "trainer.backbone: Input should be"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_not_converted(tmp_path, section, line, message):
    with pytest.raises(ConfigError) as refused:
        load_config(_config_with(tmp_path, section, line))
    assert message in str(refused.value)


def test_yaml_forms_of_other_types_still_load(tmp_path):
    # An int is a float; YAML's list is the tuple; a string is the path; 1.0e-3 is a number.
    config = load_config(DEMO, {"trainer": {"optimizer": "sgd", "learning_rate": 1, "combined_margins": [1, 0.3, 0.2]}})
    assert config.trainer.learning_rate == 1.0 and config.trainer.combined_margins == (1.0, 0.3, 0.2)
    assert load_config(_config_with(tmp_path, "trainer", "weight_decay: 1.0e-4")).trainer.weight_decay == 1e-4
    kubeflow = load_config(DEMO.with_name("kubeflow.yaml"), {"kubeflow": {"pipeline_file": "out/spec.yaml"}})
    assert kubeflow.kubeflow.pipeline_file == Path("out/spec.yaml")
