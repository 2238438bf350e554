"""The optimizer and its learning-rate schedule, from the trainer config."""

import math

import keras
from keras import ops

from configs.optimizers import DECAYS, OPTIMIZERS
from tfx_module.trainer.warm_start import FineTuningSchedule


@keras.saving.register_keras_serializable(package="arcface_module")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A linear warmup from 0 to `learning_rate`, then a decay to 0 at `total_steps`.

    After `warmup_steps`, with `progress` going from 0 to 1 over the remaining steps, the rate is
    `learning_rate` times: 1 ("constant"), `(1 + cos(pi * progress)) / 2` ("cosine"),
    `(1 - progress) ** 2` ("polynomial", insightface's former PolyScheduler) or `1 - progress`
    ("linear", arcface_torch's PolynomialLRWarmup as train_v2.py builds it).

    Args:
        learning_rate: the peak rate.
        total_steps: steps of the whole training.
        warmup_steps: steps of the linear warmup, fewer than `total_steps`.
        decay: one of `configs.optimizers.DECAYS`.

    Example:

    >>> schedule = WarmupDecay(0.1, total_steps=110, warmup_steps=10, decay="cosine")
    >>> [round(float(schedule(step)), 4) for step in (0, 5, 10, 60, 110)]
    [0.0, 0.05, 0.1, 0.05, 0.0]
    """

    def __init__(self, learning_rate, total_steps, warmup_steps=0, decay="cosine"):
        if decay not in DECAYS:
            raise ValueError(f"`decay` must be one of {DECAYS}; received {decay!r}.")
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(
                "Expected 0 <= warmup_steps < total_steps; received "
                f"warmup_steps={warmup_steps}, total_steps={total_steps}."
            )
        self.learning_rate = float(learning_rate)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.decay = decay

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = ops.minimum(step / self.warmup_steps, 1.0) if self.warmup_steps else 1.0
        progress = ops.clip(
            (step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0
        )
        if self.decay == "cosine":
            factor = 0.5 * (1.0 + ops.cos(math.pi * progress))
        elif self.decay == "polynomial":
            factor = ops.square(1.0 - progress)
        elif self.decay == "linear":
            factor = 1.0 - progress
        else:
            factor = 1.0
        return self.learning_rate * warmup * factor

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "decay": self.decay,
        }


def build_optimizer(trainer, total_steps, fine_tuning=None):
    """SGD (with momentum) or AdamW on a `WarmupDecay` schedule, from the trainer config (a `TrainerConfig`).

    Weight decay is decoupled and applies to every weight, as in insightface's training.
    `fine_tuning` (a dict of `FineTuningSchedule`'s `frozen_steps` and `factor`) lowers the rate
    after the steps a warm-started backbone stays frozen.

    Example:

    >>> from configs.model import TrainerConfig
    >>> optimizer = build_optimizer(
    ...     TrainerConfig(optimizer="sgd", learning_rate=0.1, warmup_steps=100, lr_schedule="polynomial"),
    ...     total_steps=1000,
    ... )
    """
    schedule = WarmupDecay(
        trainer.learning_rate, total_steps, trainer.warmup_steps, trainer.lr_schedule
    )
    if fine_tuning:
        schedule = FineTuningSchedule(schedule, **fine_tuning)
    weight_decay = trainer.weight_decay or None
    if trainer.optimizer == "sgd":
        return keras.optimizers.SGD(schedule, momentum=trainer.momentum, weight_decay=weight_decay)
    if trainer.optimizer == "adamw":
        return keras.optimizers.AdamW(schedule, weight_decay=trainer.weight_decay)
    raise ValueError(f"trainer.optimizer: expected one of {OPTIMIZERS}; received {trainer.optimizer!r}.")
