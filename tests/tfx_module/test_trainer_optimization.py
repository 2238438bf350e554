"""The learning rate warms up linearly, then decays as configured; the optimizer is the configured one."""

import keras
import numpy as np
import pytest

from configs.model import TrainerConfig
from tfx_module.trainer.optimization import WarmupDecay, build_optimizer


@pytest.mark.parametrize(
    "decay, expected",
    [
        ("constant", [0.0, 0.05, 0.1, 0.1, 0.1]),
        ("cosine", [0.0, 0.05, 0.1, 0.05, 0.0]),
        ("polynomial", [0.0, 0.05, 0.1, 0.025, 0.0]),  # (1 - 1/2)^2 halfway
        ("linear", [0.0, 0.05, 0.1, 0.05, 0.0]),  # arcface_torch's PolynomialLRWarmup, power 1
    ],
)
def test_learning_rate_warms_up_linearly_then_decays(decay, expected):
    schedule = WarmupDecay(0.1, total_steps=110, warmup_steps=10, decay=decay)
    rates = [float(schedule(step)) for step in (0, 5, 10, 60, 110)]
    np.testing.assert_allclose(rates, expected, atol=1e-7)
    assert WarmupDecay.from_config(schedule.get_config()).get_config() == schedule.get_config()


def test_without_warmup_the_first_step_has_the_full_rate():
    assert float(WarmupDecay(0.1, total_steps=10, decay="cosine")(0)) == pytest.approx(0.1)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"warmup_steps": 10}, "0 <= warmup_steps < total_steps; received warmup_steps=10, total_steps=10"),
        ({"decay": "step"}, "`decay` must be one of"),
    ],
)
def test_schedule_refuses_impossible_settings(arguments, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        WarmupDecay(0.1, total_steps=10, **arguments)


def test_optimizer_is_the_configured_one_on_the_schedule():
    config = {"momentum": 0.8, "weight_decay": 5e-4, "warmup_steps": 5, "lr_schedule": "cosine"}
    # Each at a peak rate its optimizer trains with (configs.optimizers.LEARNING_RATES).
    sgd = build_optimizer(TrainerConfig(**config, optimizer="sgd", learning_rate=0.1), total_steps=105)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.8 and sgd.weight_decay == 5e-4
    adamw = build_optimizer(TrainerConfig(**config, optimizer="adamw", learning_rate=0.01), total_steps=105)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 5e-4
    for optimizer, peak in ((sgd, 0.1), (adamw, 0.01)):
        rates = []
        for step in (0, 5, 55, 105):
            optimizer.iterations.assign(step)
            rates.append(float(optimizer.learning_rate))
        np.testing.assert_allclose(rates, [0.0, peak, peak / 2, 0.0], atol=1e-7)
