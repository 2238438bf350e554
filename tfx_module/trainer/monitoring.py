"""Watching a training: progress lines and TensorBoard scalars, and a stop on a diverged loss."""

import logging
import math

import keras
import tensorflow as tf

from tfx_module.trainer import logged, progress
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
        loss = float(logs[logged.LOSS])
        if not math.isfinite(loss):
            step = trained_steps(self.model)
            raise TrainingDiverged(
                f"Training diverged: the loss is {loss} at step {step}; expected a finite loss. "
                f"Learning rate at that step: {float(logs[logged.LEARNING_RATE]):.6g}. Try a lower "
                "trainer.learning_rate or more trainer.warmup_steps. No model was exported."
            )


class TrainingLog(keras.callbacks.Callback):
    """Progress lines on stderr (`progress.py`); every `every_steps` steps a line in the Trainer's log
    (INFO, every value to 7 digits) and TensorBoard scalars.

    Scalars (every value the train step logs: loss, accuracy, learning rate, and what callbacks
    before this one add to `logs`) are written at the train step (`trained_steps`), so the curves
    of a resumed training continue those before it.

    Args:
        log_dir: TensorBoard folder, or None to write no scalars (workers other than the chief).
        every_steps: steps between two TensorBoard records.
        total_steps: the step training ends at.
        batch_size: the global batch, for images/s.
        progress_seconds: the longest time between two progress lines.
    """

    def __init__(self, log_dir, every_steps, total_steps, batch_size, progress_seconds):
        super().__init__()
        self.writer = tf.summary.create_file_writer(log_dir) if log_dir else None
        self.every_steps = every_steps
        self.total_steps = total_steps
        self.progress = progress.Progress(total_steps, batch_size, progress_seconds)
        self.logger = progress.show_on_stderr()
        self.step_names = None  # what the train step logs; anything more was added by a callback

    def on_train_batch_end(self, batch, logs=None):
        step = trained_steps(self.model)
        if self.step_names is None:
            self.step_names = set(logs)
        # A value a callback added at this step (a validation) always gets its line and its scalars.
        added = not set(logs) <= self.step_names
        line_due = added or self.progress.due(step)
        scalars_due = added or step % self.every_steps == 0 or step == self.total_steps
        if not (scalars_due or line_due):
            return
        values = {name: float(value) for name, value in logs.items()}
        if line_due:
            self.logger.info(self.progress.line(step, values))
        if scalars_due:
            # The Trainer's log (INFO) keeps every value whole, as TensorBoard does, for tools and tests.
            logger.info("step %d/%d: %s", step, self.total_steps,
                        ", ".join(f"{name} {value:.7g}" for name, value in values.items()))
        if scalars_due and self.writer is not None:
            with self.writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
