"""A config that names a margin type but no margin gets that type's own default, from the library."""

import pytest

from arcface_module.catalog import MARGIN_DEFAULTS
from configs.model import TrainerConfig


@pytest.mark.parametrize("margin_type, expected", [("arcface", 0.5), ("cosface", 0.4), ("sphereface", 1.35),
                                                   ("adaface", 0.4)])
def test_each_margin_type_gets_its_own_default_margin(margin_type, expected):
    trainer = TrainerConfig(margin_type=margin_type)
    assert trainer.margin == expected == MARGIN_DEFAULTS[margin_type]["margin"]
    assert trainer.model_dump(mode="json")["margin"] == expected  # what the Trainer receives


def test_the_default_trainer_is_arcface_with_its_margin():
    assert (TrainerConfig().margin_type, TrainerConfig().margin) == ("arcface", 0.5)


def test_a_margin_that_is_set_is_kept():
    assert TrainerConfig(margin_type="sphereface", margin=1.2).margin == 1.2
    assert TrainerConfig(margin_type="cosface", margin=0.35).margin == 0.35


def test_the_combined_margins_default_to_the_library_s():
    trainer = TrainerConfig(margin_type="combined")
    assert trainer.combined_margins == (1.0, 0.3, 0.2)
    assert trainer.margin is None  # combined reads combined_margins only


def test_the_trainer_builds_the_default_margin_of_the_type():
    from tfx_module.trainer.model import build_margin

    sphereface = build_margin(TrainerConfig(margin_type="sphereface"))
    assert sphereface.get_config()["m1"] == 1.35
    cosface = build_margin(TrainerConfig(margin_type="cosface"))
    assert cosface.get_config()["m3"] == 0.4
