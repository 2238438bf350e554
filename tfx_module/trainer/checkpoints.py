"""Checkpoints that outlive a Trainer execution, so that a killed training resumes where it stopped.

TFX gives every Trainer execution a new `model_run_dir`
(`<pipeline root>/Trainer/model_run/<execution id>`), so checkpoints written there would be lost
to the next attempt. They go instead beside it, to
`<pipeline root>/Trainer/checkpoints/<fingerprint>`, where the fingerprint covers what the
training depends on: the transformed data (whose URIs change when Transform runs again), the
trainer config and the data config. A re-run of the same training finds its checkpoints; other
data or another config starts afresh.
"""

import hashlib
import json
import logging
import posixpath

import keras
import tensorflow as tf

from tfx_module.trainer.model import trained_steps

logger = logging.getLogger(__name__)


def checkpoint_dir(model_run_dir, train_files, transform_graph, trainer, data):
    """The stable checkpoint folder of a training (see the module docstring).

    Example:

        checkpoint_dir("/runs/p/Trainer/model_run/12", ["/runs/p/Transform/.../Split-train/*"],
                       "/runs/p/Transform/transform_graph/7", trainer_config, data_config)
        # -> "/runs/p/Trainer/checkpoints/" + 16 hex digits; the same for model_run/13
    """
    inputs = {
        "train_files": sorted(train_files),
        "transform_graph": transform_graph,
        "trainer": trainer,
        "data": data,
    }
    fingerprint = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    component_dir = posixpath.dirname(posixpath.dirname(model_run_dir.rstrip("/")))
    return posixpath.join(component_dir, "checkpoints", fingerprint)


def restore_latest(checkpoint, directory):
    """Restores the newest checkpoint in `directory` into `checkpoint`; returns its path or None."""
    path = tf.train.latest_checkpoint(directory)
    if path is not None:
        checkpoint.restore(path).assert_existing_objects_matched()
    return path


class SaveCheckpoints(keras.callbacks.Callback):
    """Saves the training state every `every_steps` train steps and at the end of training.

    Checkpoints are numbered by step (`ckpt-<step>`). Put it after any callback that stops a
    failing training, so that a broken step is never saved.

    Args:
        manager: a `tf.train.CheckpointManager` of the model and its optimizer.
        every_steps: steps between checkpoints.
    """

    def __init__(self, manager, every_steps):
        super().__init__()
        self.manager = manager
        self.every_steps = every_steps

    def on_train_batch_end(self, batch, logs=None):
        step = trained_steps(self.model)
        if step % self.every_steps == 0:
            self._save(step)

    def on_train_end(self, logs=None):
        step = trained_steps(self.model)
        if step % self.every_steps:
            self._save(step)

    def _save(self, step):
        path = self.manager.save(checkpoint_number=step)
        logger.info("checkpoint at step %d: %s", step, path)
