"""The transform and trainer sections are checked before anything runs: an unknown key, a wrong type
or an impossible combination is refused with a message naming the key."""

import json
from pathlib import Path

import pytest

from configs import ConfigError, load_config
from configs.model import TrainerConfig, TransformConfig

DEMO = Path(__file__).resolve().parents[2] / "configs" / "local.yaml"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"trainer": {"augmentation": {"rotate": 10}}}, "trainer.augmentation.rotate: Extra inputs are not permitted"),
        ({"trainer": {"augmentation": {"flip": "sometimes"}}}, "trainer.augmentation.flip: Input should be a valid boolean"),
        ({"trainer": {"optimizer": "adam"}}, "trainer.optimizer: Input should be 'sgd' or 'adamw'"),
        ({"trainer": {"backbone": "r200"}}, "trainer.backbone: Input should be 'tiny', 'tiny_flat', 'mbf'"),
        ({"trainer": {"margin_type": "arc"}}, "trainer.margin_type: Input should be 'arcface'"),
        ({"trainer": {"partial_fc_rate": 0}}, "trainer.partial_fc_rate: Input should be greater than 0"),
        ({"trainer": {"combined_margins": [1.0, 4.0, 0.0]}}, "trainer.combined_margins.1: Input should be less than"),
        ({"trainer": {"margin_type": "sphereface", "margin": 0.0}}, "trainer: Value error, expected margin > 0 for sphereface"),
        # The demo config sets train_steps: epochs on top is ambiguous.
        ({"trainer": {"epochs": 3}}, "trainer: Value error, expected train_steps or epochs, not both"),
        ({"trainer": {"warmup_steps": 10_000}}, "trainer: Value error, expected warmup_steps < train_steps"),
        ({"trainer": {"distribution": {"strategy": "parameter_server"}}}, "trainer.distribution.strategy: Input should be"),
        ({"trainer": {"distribution": {"devices": "/gpu:0"}}}, "trainer.distribution.devices: Input should be a valid list"),
        ({"transform": {"crop": {"middle": 0.5}}}, "transform.crop.middle: Extra inputs are not permitted"),
        ({"transform": {"crop": {"top": 0.5, "height": 0.6}}}, "transform.crop: Value error, expected a box inside the image"),
        ({"transform": {"image_size": 8}}, "transform.image_size: Input should be greater than or equal to 16"),
        # Too small for MobileFaceNet's 7x7 global depthwise convolution: refused before Transform runs.
        ({"trainer": {"backbone": "mbf"}, "transform": {"image_size": 96}},
         "trainer.backbone mbf expects transform.image_size >= 97, got 96"),
    ],
)
def test_bad_transform_and_trainer_values_are_refused_naming_the_key(overrides, message):
    with pytest.raises(ConfigError, match="local.yaml: .*" + message.replace(".", r"\.")):
        load_config(DEMO, overrides)


def test_sections_reach_the_components_as_json_and_validate_back_unchanged():
    config = load_config(DEMO, {"transform": {"crop": {"top": 0.1, "height": 0.8}}})
    # What pipeline.py passes in custom_config, through the JSON of the component's properties.
    trainer = json.loads(json.dumps(config.trainer.model_dump(mode="json")))
    transform = json.loads(json.dumps(config.transform.model_dump(mode="json")))
    assert TrainerConfig.from_json(trainer) == config.trainer
    assert TransformConfig.model_validate(transform) == config.transform
    assert transform["crop"] == {"top": 0.1, "left": 0.0, "height": 0.8, "width": 1.0}


def test_a_trainer_with_epochs_validates_back_though_its_dump_holds_train_steps_too():
    trainer = TrainerConfig(epochs=3, recipe="ms1mv3_r50")
    dumped = json.loads(json.dumps(trainer.model_dump(mode="json")))
    assert dumped["train_steps"] == TrainerConfig.model_fields["train_steps"].default
    assert TrainerConfig.from_json(dumped) == trainer


def test_epochs_replace_train_steps_when_train_steps_is_not_given():
    assert TrainerConfig(epochs=3).epochs == 3
