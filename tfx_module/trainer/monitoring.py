"""Watching a training: progress lines and TensorBoard scalars, and a stop on a diverged loss."""

import logging
import math

import keras
import tensorflow as tf

from tfx_module.trainer.model import trained_steps

logger = logging.getLogger(__name__)


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `TrainingDiverged` at the first step whose loss is NaN or infinite.

    Raising (rather than stopping quietly, like `keras.callbacks.TerminateOnNaN`) fails the
    Trainer: nothing after it runs, so a diverged model is never exported nor checkpointed.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            step = trained_steps(self.model)
            raise TrainingDiverged(
                f"Training diverged: the loss is {loss} at step {step}; expected a finite loss. "
                f"Learning rate at that step: {float(logs['learning_rate']):.6g}. Try a lower "
                "trainer.learning_rate or more trainer.warmup_steps. No model was exported."
            )


class TrainingLog(keras.callbacks.Callback):
    """Every `every_steps` steps (and at the last): one log line, and TensorBoard scalars.

    Scalars (every value the train step logs: loss, accuracy, learning rate) are written at the
    train step (`trained_steps`), so the curves of a resumed training continue those before it.

    Args:
        log_dir: TensorBoard folder, or None to write no scalars (workers other than the chief).
        every_steps: steps between two records.
        total_steps: the step training ends at.
    """

    def __init__(self, log_dir, every_steps, total_steps):
        super().__init__()
        self.writer = tf.summary.create_file_writer(log_dir) if log_dir else None
        self.every_steps = every_steps
        self.total_steps = total_steps

    def on_train_batch_end(self, batch, logs=None):
        step = trained_steps(self.model)
        if step % self.every_steps and step != self.total_steps:
            return
        values = {name: float(value) for name, value in logs.items()}
        logger.info(
            "step %d/%d: %s",
            step,
            self.total_steps,
            ", ".join(f"{name} {value:.7g}" for name, value in values.items()),
        )
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
