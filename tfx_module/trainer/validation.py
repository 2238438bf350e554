"""Verification on named pairs sets while training, as arcface_torch's `CallBackVerification` does.

Every `every_steps` train steps (and at the last) `PairsValidation` embeds both images of every
pair of each set with the current backbone, through the Transform graph the training data went
through (the exported model's own path, `export.EmbeddingExport`), and measures the verification
accuracy (the evaluator's k-fold protocol, with the set's own folds if its file defines them) and
the TAR at the operating point's FAR. The figures go to TensorBoard (`validation/<set>/accuracy`,
`validation/<set>/tar_at_far`) and, one line per validation, to the Trainer's progress lines (stderr).

With `keep_best`, the backbone's weights are saved whenever that set's accuracy beats the best so
far, beside the training's checkpoints (`<checkpoints>/best/`, so a resumed training keeps its
best), and `restore_best` loads them into the backbone before it is exported.

Example:
    sets = load_pair_sets({"lfw": {"input_base": "data/lfw", "file_pattern": "*.tfrecord*"}})
    callback = PairsValidation(sets, EmbeddingExport(...), every_steps=500, total_steps=20_000, far=1e-3,
                               seed=0, log_dir=fn_args.model_run_dir, best_dir=best_dir(checkpoints),
                               keep_best="lfw", backbone=model.backbone)
"""

import dataclasses
import json
import logging
import posixpath
import time
from typing import Dict, Optional

import keras
import numpy as np
import tensorflow as tf

from tfx_module.signatures import EMBEDDING_KEY
from tfx_module.trainer import progress
from tfx_module.trainer.model import trained_steps
from verification import metrics, operating_point
from face_data.records import contract

logger = logging.getLogger(__name__)

BATCH_SIZE = 256
BEST_FILE = "best.json"


@dataclasses.dataclass(frozen=True)
class PairSet:
    """One verification set, held in memory: encoded images, same/different, and its folds if defined."""

    images_a: list
    images_b: list
    is_same: np.ndarray
    folds: Optional[np.ndarray]


def load_pair_sets(sources: Dict[str, dict]) -> Dict[str, PairSet]:
    """{name: {"input_base", "file_pattern"}} -> {name: PairSet}, read from pair records."""
    sets = {}
    for name, source in sources.items():
        pattern = posixpath.join(source["input_base"], source["file_pattern"])
        paths = sorted(tf.io.gfile.glob(pattern))
        if not paths:
            raise ValueError(f"validation set {name}: expected pair records at {pattern}, found none")
        pairs = []
        for path in paths:
            compression = "GZIP" if path.endswith(".gz") else ""
            for index, serialized in enumerate(tf.data.TFRecordDataset(path, compression).as_numpy_iterator()):
                pairs.append(contract.parse_pair_example(serialized, source=f"{path} record {index}"))
        folds = [pair.fold for pair in pairs]
        sets[name] = PairSet([pair.image_a for pair in pairs], [pair.image_b for pair in pairs],
                             np.array([pair.is_same for pair in pairs]),
                             None if None in folds else np.array(folds))
    return sets


def best_dir(checkpoints: str) -> str:
    """Where the best weights of a training are kept: beside its checkpoints."""
    return posixpath.join(checkpoints, "best")


def read_best(directory: str) -> Optional[dict]:
    """{"step", "set", "accuracy", "weights"} of the best weights saved so far, or None."""
    path = posixpath.join(directory, BEST_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as file:
        return json.load(file)


def restore_best(backbone, directory: str) -> Optional[dict]:
    """Loads the best weights saved in `directory` into `backbone`; returns their record, or None."""
    best = read_best(directory)
    if best is not None:
        tf.train.Checkpoint(backbone=backbone).read(best["weights"]).assert_existing_objects_matched()
    return best


class PairsValidation(keras.callbacks.Callback):
    """Validates on pairs sets every `every_steps` steps; optionally keeps the best weights.

    Args:
        sets: {name: PairSet}, from `load_pair_sets`.
        export: an `export.EmbeddingExport` of the backbone being trained: its `embed_images`
            maps encoded images [N] to {"embedding": [N, D]} with the current weights.
        every_steps, total_steps: validation every `every_steps` train steps, and at `total_steps`.
        far: the FAR at which the TAR is reported (the evaluator's operating point).
        seed: the seed of the folds of sets without folds of their own (the evaluator's).
        log_dir: TensorBoard folder, or None (workers other than the chief).
        best_dir: where `keep_best` saves the weights; keep_best: a set name, or None.
        backbone: the model whose weights `keep_best` saves.
    """

    def __init__(self, sets: Dict[str, PairSet], export, every_steps: int, total_steps: int,
                 far: float, seed: int, log_dir: Optional[str] = None, best_dir: Optional[str] = None,
                 keep_best: Optional[str] = None, backbone=None):
        super().__init__()
        # The module itself, not its bound tf.function, which holds it only weakly.
        self.sets, self.export = sets, export
        self.every_steps, self.total_steps = every_steps, total_steps
        self.far, self.seed = far, seed
        self.writer = tf.summary.create_file_writer(log_dir) if log_dir else None
        self.best_dir, self.keep_best, self.backbone = best_dir, keep_best, backbone
        best = read_best(best_dir) if keep_best else None
        self.best_accuracy = best["accuracy"] if best else -1.0

    def _embed(self, images) -> np.ndarray:
        batches = [self.export.embed_images(tf.constant(images[start:start + BATCH_SIZE]))[EMBEDDING_KEY].numpy()
                   for start in range(0, len(images), BATCH_SIZE)]
        return np.concatenate(batches)

    def validate(self, pair_set: PairSet) -> dict:
        """{"accuracy", "accuracy_std", "tar_at_far"} of the current weights on one set."""
        scores = metrics.cosine_similarities(self._embed(pair_set.images_a), self._embed(pair_set.images_b))
        accuracy = metrics.verification_accuracy_kfold(scores, pair_set.is_same, seed=self.seed, folds=pair_set.folds)
        try:
            tar = operating_point.choose(scores, pair_set.is_same, self.far).tar
        except operating_point.UnresolvableFar:
            tar = None  # too few different-identity pairs for this FAR: nothing to report
        return {"accuracy": accuracy["mean"], "accuracy_std": accuracy["std"], "tar_at_far": tar}

    def on_train_batch_end(self, batch, logs=None):
        step = trained_steps(self.model)
        if step % self.every_steps and step != self.total_steps:
            return
        start = time.monotonic()
        results = {name: self.validate(pair_set) for name, pair_set in self.sets.items()}
        seconds = time.monotonic() - start
        # On the Trainer's progress lines (stderr, whatever the log level): for the person waiting.
        progress.show_on_stderr().info("validation at step %d/%d (%.1f s): %s", step, self.total_steps, seconds, "; ".join(
            f"{name} accuracy {result['accuracy']:.4f} +/- {result['accuracy_std']:.4f}, TAR "
            + (f"{result['tar_at_far']:.4f}" if result["tar_at_far"] is not None else "not measurable")
            + f" at FAR {self.far:g}"
            for name, result in results.items()))
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for name, result in results.items():
                    tf.summary.scalar(f"validation/{name}/accuracy", result["accuracy"])
                    if result["tar_at_far"] is not None:
                        tf.summary.scalar(f"validation/{name}/tar_at_far", result["tar_at_far"])
                tf.summary.scalar("validation/seconds", seconds)
            self.writer.flush()
        if self.keep_best and results[self.keep_best]["accuracy"] > self.best_accuracy:
            self._save_best(step, results[self.keep_best]["accuracy"])

    def _save_best(self, step: int, accuracy: float):
        # The weights first, then the record naming them, replaced in one rename: a kill in
        # between leaves the previous best intact.
        weights = tf.train.Checkpoint(backbone=self.backbone).write(posixpath.join(self.best_dir, f"weights-{step}"))
        record = {"step": step, "set": self.keep_best, "accuracy": accuracy, "weights": weights}
        partial = posixpath.join(self.best_dir, BEST_FILE + ".partial")
        with tf.io.gfile.GFile(partial, "w") as file:
            json.dump(record, file)
        previous = read_best(self.best_dir)
        tf.io.gfile.rename(partial, posixpath.join(self.best_dir, BEST_FILE), overwrite=True)
        if previous is not None and previous["weights"] != weights:
            for path in tf.io.gfile.glob(previous["weights"] + ".*"):
                tf.io.gfile.remove(path)
        self.best_accuracy = accuracy
        logger.info("best %s accuracy so far, %.4f at step %d: weights kept in %s", self.keep_best, accuracy, step,
                    weights)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
