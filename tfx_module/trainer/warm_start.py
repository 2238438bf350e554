"""Warm start: the Trainer's backbone starts from a base model's, with a fine-tuning schedule.

A starting model (configs/starting_model.py) is a folder holding `backbone.keras` and
`starting_model.json` (what it is and where it came from). Every Trainer run writes one into its
Model artifact, beside the SavedModel; `python -m pretrained` writes one from an insightface
model. The pipeline gives the Trainer one as its `base_model` input (the latest blessed model
through a Resolver, or a folder through an Importer: `trainer.warm_start.base_model`), and ML
Metadata records it as the run's input. The backbone takes the base's weights, layer by layer;
the margin head is always new: its classes are this run's identities, whose class ids are
their ranks in this run's vocabulary, so a center learnt in another run belongs to whoever had
that rank there. The frozen steps are what trains the new head (on the base's features).

The schedule (`trainer.warm_start`): for `freeze_backbone_steps` steps only the head trains and
the backbone runs in inference mode (its BatchNorm statistics kept); then everything trains at
`learning_rate_factor` times the learning rate, BatchNorm layers still frozen if
`freeze_batch_norm` (a small data set's batch statistics would replace those learnt on millions).

Example:
    metadata = load_base_backbone(backbone, "/models/r50-glint360k")  # python -m pretrained's output
    callbacks.append(FreezeBackbone(backbone, steps=200, freeze_batch_norm=True))
"""

import json
import logging
import os
import posixpath
import tempfile
import uuid

import keras
import tensorflow as tf

from configs.starting_model import BACKBONE_FILE, METADATA_FILE, NO_BASE_MODEL

logger = logging.getLogger(__name__)


def save_starting_model(directory, backbone, metadata):
    """Writes `backbone` and `metadata` (a JSON-able dict) as a starting model in `directory`.

    Each file is written under a temporary name, then renamed: a reader never sees half a file.
    """
    tf.io.gfile.makedirs(directory)
    for name, write in ((BACKBONE_FILE, backbone.save), (METADATA_FILE, None)):
        final = posixpath.join(directory, name)
        partial = posixpath.join(directory, f".{uuid.uuid4().hex}.partial.{name.rsplit('.', 1)[-1]}")
        if write is None:
            with tf.io.gfile.GFile(partial, "w") as file:
                json.dump(metadata, file, indent=1)
        else:
            write(partial)
        tf.io.gfile.rename(partial, final, overwrite=True)


def starting_model_dir(base_model):
    """The starting model's folder of TFX's `fn_args.base_model` (the Model artifact's `Format-Serving`)."""
    return posixpath.dirname(base_model.rstrip("/")) if base_model else None


def read_metadata(directory):
    """The starting model's `starting_model.json`; ValueError naming the folder if it is not one."""
    path = posixpath.join(directory, METADATA_FILE)
    if not tf.io.gfile.exists(posixpath.join(directory, BACKBONE_FILE)) or not tf.io.gfile.exists(path):
        raise ValueError(f"{directory}: not a starting model: expected {BACKBONE_FILE} and {METADATA_FILE} "
                         "(a Trainer's Model artifact, or `python -m pretrained`'s output)")
    with tf.io.gfile.GFile(path) as file:
        return json.load(file)


def load_base_backbone(backbone, directory):
    """Copies the starting model's backbone weights into `backbone`; returns its metadata.

    Raises:
        ValueError: one line naming the folder, if it is no starting model, or if its backbone
            is another architecture, embedding size or input size (the layers or shapes that
            differ); `backbone` is then unchanged.
    """
    metadata = read_metadata(directory)
    base = _load_backbone(posixpath.join(directory, BACKBONE_FILE))
    ours = {layer.name: layer for layer in backbone.layers if layer.weights}
    theirs = {layer.name: layer for layer in base.layers if layer.weights}
    differ = [f"{name} {[tuple(w.shape) for w in layer.weights]} (base: "
              f"{[tuple(w.shape) for w in theirs[name].weights] if name in theirs else 'no such layer'})"
              for name, layer in ours.items()
              if name not in theirs or [w.shape for w in layer.weights] != [w.shape for w in theirs[name].weights]]
    if differ or set(theirs) - set(ours):
        raise ValueError(
            f"{directory}: its backbone {base.name} ({base.input_shape[1:3]} images -> {base.output_shape[-1]}-d "
            f"embeddings, from {metadata.get('backbone')}) does not fit the configured {backbone.name} "
            f"({backbone.input_shape[1:3]} -> {backbone.output_shape[-1]}-d): check trainer.backbone, "
            f"trainer.embedding_size and transform.image_size; layers that differ: "
            + ", ".join(differ[:3] + sorted(set(theirs) - set(ours))[:3]))
    for name, layer in ours.items():
        layer.set_weights(theirs[name].get_weights())
    return metadata


def _load_backbone(path):
    """The Keras model in a `.keras` file, local or remote (Keras opens only local archives)."""
    if os.path.exists(path):
        return keras.saving.load_model(path, compile=False)
    with tempfile.TemporaryDirectory() as scratch:
        local = os.path.join(scratch, BACKBONE_FILE)
        tf.io.gfile.copy(path, local)
        return keras.saving.load_model(local, compile=False)


@keras.saving.register_keras_serializable(package="arcface_module")
class FineTuningSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`schedule`'s rate for the first `frozen_steps` steps, then `factor` times it.

    Example:

    >>> schedule = FineTuningSchedule(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 1.0), 5, 0.1)
    >>> [round(float(schedule(step)), 3) for step in (0, 4, 5)]
    [0.1, 0.1, 0.01]
    """

    def __init__(self, schedule, frozen_steps, factor):
        self.schedule, self.frozen_steps, self.factor = schedule, int(frozen_steps), float(factor)

    def __call__(self, step):
        factor = keras.ops.where(keras.ops.cast(step, "int64") < self.frozen_steps, 1.0, self.factor)
        return self.schedule(step) * factor

    def get_config(self):
        return {"schedule": keras.saving.serialize_keras_object(self.schedule),
                "frozen_steps": self.frozen_steps, "factor": self.factor}

    @classmethod
    def from_config(cls, config):
        return cls(keras.saving.deserialize_keras_object(config.pop("schedule")), **config)


class FreezeBackbone(keras.callbacks.Callback):
    """Keeps the backbone frozen (inference mode) until step `steps`, then lets it train.

    With `freeze_batch_norm`, its BatchNorm layers stay frozen after that too. The training
    loop traces its step again when the trainable variables change.

    Args:
        backbone: the model's backbone.
        steps: train steps (`trained_steps`) with the backbone frozen.
        freeze_batch_norm: keep BatchNorm layers frozen once the rest trains.
    """

    def __init__(self, backbone, steps, freeze_batch_norm):
        super().__init__()
        self.backbone, self.steps, self.freeze_batch_norm = backbone, steps, freeze_batch_norm
        self.frozen = None  # not yet set

    def on_train_batch_begin(self, batch, logs=None):
        frozen = batch < self.steps
        if frozen == self.frozen:
            return
        self.frozen = frozen
        self.backbone.trainable = not frozen  # sets every layer of the backbone
        if not frozen:
            for layer in self.backbone.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.trainable = not self.freeze_batch_norm
            logger.info("step %d: the backbone trains from now on%s", batch,
                        ", its BatchNorm layers frozen" if self.freeze_batch_norm else "")


class WarmStart:
    """What `run_fn` does about a base model: none, or the starting model in `directory`.

    Args:
        directory: the starting model's folder, or None to train from scratch.
        config: the trainer config's `warm_start` section (a `WarmStartConfig`).
    """

    def __init__(self, directory, config):
        self.directory, self.config = directory, config

    @classmethod
    def from_fn_args(cls, fn_args, trainer):
        """From TFX's `fn_args.base_model` (None when the Resolver found no blessed model yet)."""
        config = trainer.warm_start
        return cls(starting_model_dir(fn_args.base_model) if config.base_model != NO_BASE_MODEL else None, config)

    def fine_tuning(self):
        """`build_optimizer`'s `fine_tuning`: the lower rate after the frozen steps; None without a base."""
        if self.directory is None:
            return None
        return {"frozen_steps": self.config.freeze_backbone_steps, "factor": self.config.learning_rate_factor}

    def load(self, backbone):
        """Starts `backbone` from the base model's (nothing without a base)."""
        if self.directory is None and self.config.base_model != NO_BASE_MODEL:
            logger.info("warm start: no %s model yet; the backbone starts from random weights",
                        self.config.base_model.replace("_", " "))
        if self.directory is not None:
            metadata = load_base_backbone(backbone, self.directory)
            logger.info("warm start: the backbone starts from %s (%s, from %s); the head is new; frozen for %d "
                        "steps, then the learning rate times %g", self.directory, metadata.get("backbone"),
                        metadata.get("source"), self.config.freeze_backbone_steps,
                        self.config.learning_rate_factor)

    def callbacks(self, backbone):
        """The callbacks of the schedule: `FreezeBackbone`, or none without a base."""
        if self.directory is None:
            return []
        return [FreezeBackbone(backbone, self.config.freeze_backbone_steps, self.config.freeze_batch_norm)]

    def save(self, directory, backbone, trainer, image_size):
        """Writes the trained backbone as a starting model for later runs (into the Model artifact)."""
        save_starting_model(directory, backbone, {
            "backbone": trainer.backbone, "embedding_size": trainer.embedding_size, "image_size": image_size,
            "source": "trainer", "base_model": self.directory})
