"""Trainer throughput: the Trainer's training loop vs. plain `model.fit` on decoded tensors.

Both loops train one and the same model, built as `run_fn` builds it (`make_strategy`,
`build_training_model`, `build_optimizer`), with the same `MarginTrainer.train_step`; they differ
only in what feeds the step and what runs around it:

- the Trainer's loop: `run_fn`'s `trainer.loop.train` on `training_dataset` over transformed
  records (the Trainer's reading, shuffle, augmentation), with `run_fn`'s per-step
  callbacks (`StopOnNonFiniteLoss`, `TrainingLog`);
- plain: `model.fit` on an in-memory `tf.data` pipeline of the same images, already decoded.

Each loop trains `repeats + 1` steps; every step after the first (which traces the step, starts
the iterator and, for the Trainer, fills the shuffle buffer) is one timed sample: the steady state.
"""

import os
import time

import keras
import tensorflow as tf

from tfx_module.trainer import distribution
from tfx_module.trainer.inputs import training_dataset
from tfx_module.trainer.loop import train
from tfx_module.trainer.model import build_training_model
from tfx_module.trainer.monitoring import StopOnNonFiniteLoss, TrainingLog
from tfx_module.trainer.optimization import build_optimizer
from bench import measure, train_data
from bench.results import Result
from configs.model import TrainerConfig

NAME = "trainer"
TARGET_RATIO = 0.95
WARMUP_STEPS = 2


class StepClock(keras.callbacks.Callback):
    """Records when each step ends (its loss fetched to the host, so the step is done)."""

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        float(logs["loss"])
        self.ends.append(time.perf_counter())

    def images_per_second(self, batch_size):
        """One rate per step after the first (which starts the iterator and fills the shuffle buffer)."""
        return [batch_size / (end - previous) for previous, end in zip(self.ends, self.ends[1:])]


def trainer_config(backbone, batch_size, embedding_size):
    """The pipeline's trainer section with its defaults, as run_fn validates it back."""
    return TrainerConfig(backbone=backbone, batch_size=batch_size, embedding_size=embedding_size)


def build_as_run_fn(data, trainer, image_size):
    """The compiled model, its strategy and the Trainer's input, as `run_fn` builds them."""
    keras.utils.set_random_seed(trainer.seed)
    strategy = distribution.make_strategy(trainer.distribution)
    with strategy.scope():
        model = build_training_model(trainer, image_size, data.num_classes)
        model.compile(optimizer=build_optimizer(trainer, trainer.train_steps))
        model.optimizer.build(model.trainable_variables)
    def trainer_input(input_context):
        return training_dataset(
            [data.transformed.pattern], data.schema, data.transform, trainer.batch_size,
            trainer.augmentation.model_dump(), trainer.shuffle_buffer, trainer.seed, input_context=input_context)
    return model, strategy, trainer_input


def trainer_callbacks(trainer, log_dir):
    """run_fn's per-step callbacks (checkpoints aside)."""
    return [StopOnNonFiniteLoss(),
            TrainingLog(log_dir, trainer.log_every_steps, trainer.train_steps, trainer.batch_size,
                        trainer.progress_every_seconds)]


def measure_loops(data, images, class_ids, trainer, settings, log_dir, trainer_first):
    """Images/s of each step of the Trainer's loop and of plain `model.fit`, on one model."""
    model, strategy, trainer_input = build_as_run_fn(data, trainer, images.shape[1])
    plain_input = (tf.data.Dataset.from_tensor_slices((images, class_ids)).repeat()
                   .batch(trainer.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    # One step more than timed: the first step of each loop starts its iterator and traces its step.
    steps = settings["repeats"] + 1
    clocks = {"trainer": StepClock(), "plain": StepClock()}

    def trainer_loop():
        train(model, trainer_input, strategy, 0, steps,
              [*trainer_callbacks(trainer, log_dir), clocks["trainer"]])

    def plain_loop():
        model.fit(plain_input, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[clocks["plain"]])

    # Untimed steps first: the process's first steps of a model still allocate its memory and
    # set up its kernels, which slowed whichever loop ran first (mbf at batch 64: the Trainer's
    # loop first at 0.66 of plain fit, 2.5 vs 3.8 images/s, every sample).
    model.fit(plain_input, steps_per_epoch=WARMUP_STEPS, epochs=1, verbose=0)
    for loop in (trainer_loop, plain_loop) if trainer_first else (plain_loop, trainer_loop):
        loop()
    return {name: clock.images_per_second(trainer.batch_size) for name, clock in clocks.items()}


def run(settings, context):
    start = time.perf_counter()
    data = train_data.prepare(context.scratch_dir, settings["data"])
    images, class_ids = data.decoded()
    rows = []
    for backbone, batch_sizes in settings["batch_sizes"].items():
        for batch_size in batch_sizes:
            trainer = trainer_config(backbone, batch_size, settings["embedding_size"])
            log_dir = os.path.join(context.scratch_dir, "trainer-logs", f"{backbone}-{batch_size}")
            # Which loop runs first alternates, so a drift of the machine's load favours neither.
            rates = measure_loops(data, images, class_ids, trainer, settings, log_dir,
                                  trainer_first=len(rows) % 2 == 0)
            row = {"backbone": backbone, "batch_size": batch_size,
                   **{loop: measure.summary(samples) for loop, samples in rates.items()}}
            row["ratio"] = measure.ratio_of_medians(row["trainer"], row["plain"])
            rows.append(row)
    worst = min(rows, key=lambda row: row["ratio"]["median"])
    image_size = images.shape[1]
    return Result(
        name=NAME,
        title=f"Trainer throughput ({image_size}x{image_size})",
        target=f"Trainer loop / plain fit >= {TARGET_RATIO}",
        columns=[("backbone", "backbone"), ("batch_size", "batch"),
                 ("trainer", "Trainer loop (images/s)"), ("plain", "plain fit (images/s)"),
                 ("ratio", "ratio")],
        rows=rows,
        met=worst["ratio"]["median"] >= TARGET_RATIO,
        verdict=f"lowest median ratio {worst['ratio']['median']:.3f} ({worst['backbone']},"
        f" batch {worst['batch_size']}; target {TARGET_RATIO})",
        notes=[
            f"Model as `run_fn` builds it from the trainer config's defaults (AdamW, ArcFace,"
            f" full head, float32, augmentation on) with embedding size {settings['embedding_size']},"
            f" {data.num_classes} identities, {data.num_images} transformed {image_size}x{image_size}"
            " synthetic faces.",
            f"After {WARMUP_STEPS} untimed steps of plain fit, one run per loop,"
            f" {settings['repeats'] + 1} steps, which loop runs first alternating from row to row;"
            " each step after the first (which traces the step, starts the iterator and fills the"
            " shuffle buffer) is one sample, timed from the end of the step before it."
            " Ratio of medians, its range pairing the extremes. Checkpoint writes (every"
            " `checkpoint_every_steps`) are not among the timed steps.",
        ],
        seconds=time.perf_counter() - start,
    )
