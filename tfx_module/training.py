"""TFX Trainer module: trains the backbone + margin head the config names, exports the embedding model.

`run_fn` reads everything from the pipeline config's `trainer`, `transform` and `data` sections
(in `fn_args.custom_config`): it builds the model under the configured distribution strategy,
resumes from the training's last checkpoint if a previous attempt was killed, trains on the
transformed examples (validating on the pairs sets `trainer.validation` names, from
`custom_config["validation"]`, and keeping the best weights if asked), and exports a SavedModel
that holds the Transform graph and the backbone +
L2 normalisation: `serving_default` (image bytes -> `embedding`) and `embed_examples` (serialized
tf.Examples -> `embedding`). The head and the label exist only in training. The trained backbone
is also saved in Keras format, `backbone.keras` in `fn_args.model_run_dir`, beside the
TensorBoard scalars and `kernels.json` (the kernels the backbone trained with). The pieces are
in `tfx_module/trainer/`.
"""

import contextlib
import json
import logging
import math
import os

import keras
import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

import arcface_module
from arcface_module.backbones.blocks import kernels
from configs.data import DataConfig
from configs.model import TrainerConfig, TransformConfig
from tfx_module.preprocessing import IDENTITY_COUNTS, IDENTITY_VOCABULARY
from configs.starting_model import BACKBONE_FILE
from tfx_module.trainer import distribution, validation
from tfx_module.trainer.checkpoints import SaveCheckpoints, checkpoint_dir, restore_latest
from tfx_module.trainer.export import EmbeddingExport, export_embedding_model
from tfx_module.trainer.inputs import training_dataset
from tfx_module.trainer.loop import train
from tfx_module.trainer.model import build_training_model, trained_steps
from tfx_module.trainer.monitoring import StopOnNonFiniteLoss, TrainingLog
from tfx_module.trainer.optimization import build_optimizer
from tfx_module.trainer.warm_start import WarmStart

__all__ = ["BACKBONE_FILE", "KERNELS_FILE", "run_fn"]

KERNELS_FILE = "kernels.json"
logger = logging.getLogger(__name__)


def count_training_images(tft_output):
    """Images in the training split, summed from the Transform's per-identity counts."""
    lines = tft_output.vocabulary_by_name(IDENTITY_COUNTS)
    return sum(int(line.split(b" ", 1)[0]) for line in lines)


def total_steps(trainer, tft_output):
    """`trainer.train_steps`, or `trainer.epochs` passes over the training split in batches."""
    if trainer.epochs is None:
        return trainer.train_steps
    return trainer.epochs * math.ceil(count_training_images(tft_output) / trainer.batch_size)


@contextlib.contextmanager
def dtype_policy(name):
    """Sets Keras' global dtype policy ("float32", "mixed_float16", "mixed_bfloat16") for the block, then restores it."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _build(trainer, transform, tft_output, steps, strategy, fine_tuning=None):
    """The compiled training model under `strategy`, and a checkpoint of its whole state."""
    replicas = strategy.num_replicas_in_sync
    parts = replicas * trainer.gradient_accumulation_steps
    if trainer.batch_size % parts:
        raise ValueError(
            f"trainer.batch_size: expected a multiple of the {replicas} replicas x "
            f"{trainer.gradient_accumulation_steps} gradient_accumulation_steps, so that each takes an equal "
            f"share of the global batch; got {trainer.batch_size}"
        )
    with strategy.scope():
        model = build_training_model(
            trainer,
            image_size=transform.image_size,
            num_classes=tft_output.vocabulary_size_by_name(IDENTITY_VOCABULARY),
            sync_batch_norm=trainer.distribution.sync_batch_norm and replicas > 1,
        )
        model.compile(optimizer=build_optimizer(trainer, steps, fine_tuning))
        model.optimizer.build(model.trainable_variables)
    return model, tf.train.Checkpoint(model=model, optimizer=model.optimizer)


def _validation(model, fn_args, tft_output, trainer, transform, data, steps, log_dir, best_writes):
    """The callback validating on the configured pairs sets (fn_args.custom_config["validation"]), or None."""
    settings = fn_args.custom_config.get("validation") or {}
    config = trainer.validation
    if not config.pairs:
        return None
    sets = validation.load_pair_sets({name: settings["sets"][name] for name in config.pairs})
    # The exported model's path from image bytes to embedding, on the backbone being trained.
    export = EmbeddingExport(arcface_module.embedding_model(model.backbone, trainer.flip_test_time_augmentation),
                             tft_output, transform, data.image_feature, data.label_feature)
    logger.info("validating on %s every %d steps", ", ".join(f"{name} ({len(pairs.is_same)} pairs)"
                                                             for name, pairs in sets.items()), config.every_steps)
    return validation.PairsValidation(
        sets, export, config.every_steps, steps, settings["far"], settings["seed"], log_dir,
        best_writes, config.keep_best, model.backbone)


def _train(model, checkpoint, checkpoints, fn_args, tft_output, trainer, transform, data, steps, strategy, warm_start):
    """Trains from the model's current step to `steps`, saving checkpoints (and the best weights) on the way."""
    first_step = trained_steps(model)
    def dataset_fn(input_context):
        return training_dataset(
            fn_args.train_files,
            tft_output.transformed_metadata.schema,
            transform,
            trainer.batch_size,
            trainer.augmentation.model_dump(),
            trainer.shuffle_buffer,
            trainer.seed,
            first_step,
            input_context,
        )

    log_dir = fn_args.model_run_dir if distribution.is_chief(strategy) else None
    with distribution.writable_dir(checkpoints, strategy) as checkpoint_writes:
        manager = tf.train.CheckpointManager(checkpoint, checkpoint_writes, max_to_keep=3)
        callbacks = [
            StopOnNonFiniteLoss(),  # before the checkpoints: a diverged step is never saved
            TrainingLog(log_dir, trainer.log_every_steps, steps, trainer.batch_size,
                        trainer.progress_every_seconds),
            SaveCheckpoints(manager, trainer.checkpoint_every_steps),
            *warm_start.callbacks(model.backbone),
        ]
        validating = _validation(model, fn_args, tft_output, trainer, transform, data, steps, log_dir, validation.best_dir(checkpoint_writes))
        train(model, dataset_fn, strategy, first_step, steps, callbacks + ([validating] if validating else []))


def run_fn(fn_args: tfx.components.FnArgs):
    """`fn_args.custom_config` holds the pipeline config's `trainer`, `transform` and `data` sections."""
    # Validated back into the typed sections: the JSON pipeline.py wrote with model_dump(mode="json").
    trainer = TrainerConfig.from_json(fn_args.custom_config["trainer"])
    transform = TransformConfig.model_validate(fn_args.custom_config["transform"])
    data = DataConfig.model_validate(fn_args.custom_config["data"])
    # First of all: a multi-worker strategy must be created before any other TensorFlow op.
    strategy = distribution.make_strategy(trainer.distribution)
    keras.utils.set_random_seed(trainer.seed)
    tft_output = tft.TFTransformOutput(fn_args.transform_graph_path)
    steps = total_steps(trainer, tft_output)
    warm_start = WarmStart.from_fn_args(fn_args, trainer)
    # Another base model is another training: its checkpoints are not this one's.
    checkpoints = checkpoint_dir(fn_args.model_run_dir, fn_args.train_files, fn_args.transform_graph_path,
                                 {**fn_args.custom_config["trainer"], "base_model": warm_start.directory},
                                 fn_args.custom_config["data"])

    with dtype_policy(trainer.precision):
        model, checkpoint = _build(trainer, transform, tft_output, steps, strategy, warm_start.fine_tuning())
        restored = restore_latest(checkpoint, checkpoints)
        if restored:
            logger.info("resumed from %s at step %d of %d", restored, trained_steps(model), steps)
        else:
            warm_start.load(model.backbone)
            logger.info(
                "training %d steps on %d identities, %d replica(s); checkpoints in %s",
                steps, model.head.num_classes, strategy.num_replicas_in_sync, checkpoints,
            )
        if trained_steps(model) < steps:
            _train(model, checkpoint, checkpoints, fn_args, tft_output, trainer, transform, data, steps, strategy,
                   warm_start)

    if trainer.validation.keep_best:
        best = validation.restore_best(model.backbone, validation.best_dir(checkpoints))
        if best is not None:
            logger.info("exporting the best weights by %s accuracy: %.4f at step %d of %d", best["set"],
                        best["accuracy"], best["step"], steps)

    with distribution.writable_dir(fn_args.serving_model_dir, strategy) as export_dir:
        export_embedding_model(
            model.backbone, tft_output, transform, data, export_dir, trainer.flip_test_time_augmentation
        )
    if distribution.is_chief(strategy):
        tf.io.gfile.makedirs(fn_args.model_run_dir)
        model.backbone.save(os.path.join(fn_args.model_run_dir, BACKBONE_FILE))
        # Beside the SavedModel, what a later run warm-starts from (trainer.warm_start).
        warm_start.save(os.path.dirname(fn_args.serving_model_dir), model.backbone, trainer, transform.image_size)
        # Which kernels computed the steps: the fast ones depend on TensorFlow's oneDNN switch.
        with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, KERNELS_FILE), "w") as file:
            json.dump(kernels(), file)
    logger.info("exported the embedding model to %s", fn_args.serving_model_dir)
