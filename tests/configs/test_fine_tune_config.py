"""configs/fine-tune.yaml is the demo warm-started: the demo's faces, model and run folder, its own schedule."""

from pathlib import Path

from configs import load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
# What the fine-tune config sets for itself; everything else is the demo's.
OWN_TRAINER_KEYS = {"train_steps", "checkpoint_every_steps", "warm_start"}


def test_the_fine_tune_config_is_the_demo_warm_started_from_its_last_blessed_model():
    demo, fine_tune = load_config(CONFIGS / "local.yaml"), load_config(CONFIGS / "fine-tune.yaml")
    assert fine_tune.trainer.warm_start.base_model == "last_blessed"
    assert fine_tune.trainer.train_steps < demo.trainer.train_steps
    for section in ("pipeline_name", "run_root", "data", "transform", "evaluator", "pusher"):
        assert getattr(fine_tune, section) == getattr(demo, section), section
    assert (fine_tune.trainer.model_dump(exclude=OWN_TRAINER_KEYS)
            == demo.trainer.model_dump(exclude=OWN_TRAINER_KEYS))
