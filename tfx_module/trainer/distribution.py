"""The tf.distribute strategy the trainer config chooses, and which worker writes files."""

import json
import os
import shutil
import tempfile
from contextlib import contextmanager

import tensorflow as tf

from configs.model import MIRRORED, MULTI_WORKER_MIRRORED, ONE_DEVICE, STRATEGIES


def make_strategy(distribution):
    """The strategy of the trainer config's `distribution` section (a `configs.model.DistributionConfig`).

    - "one_device": TensorFlow's default strategy (the first GPU, else the CPU);
    - "mirrored": `MirroredStrategy` over `devices` (None: every GPU, or the CPU);
    - "multi_worker_mirrored": `MultiWorkerMirroredStrategy` over the cluster in the `TF_CONFIG`
      environment variable, as Vertex AI Training and Kubeflow's TFJob set it. Create it before
      any other TensorFlow op runs: collective ops are configured at program start.

    Example:

    >>> from configs.model import DistributionConfig
    >>> make_strategy(DistributionConfig(strategy="mirrored", devices=["/cpu:0", "/cpu:1"])).num_replicas_in_sync
    2
    """
    name = distribution.strategy
    if name == ONE_DEVICE:
        return tf.distribute.get_strategy()
    if name == MIRRORED:
        return tf.distribute.MirroredStrategy(devices=distribution.devices)
    if name == MULTI_WORKER_MIRRORED:
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "trainer.distribution.strategy 'multi_worker_mirrored' expects the cluster in the "
                "TF_CONFIG environment variable (set by Vertex AI Training, Kubeflow's TFJob...); "
                "it is not set."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"trainer.distribution.strategy: expected one of {STRATEGIES}; received {name!r}.")


def is_chief(strategy):
    """True on the one worker that writes the model, checkpoints and logs.

    That is the "chief" task if the cluster has one, else worker 0 (TF_CONFIG's convention); a
    single-machine strategy is always its own chief.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


@contextmanager
def writable_dir(path, strategy):
    """Yields `path` on the chief and a scratch folder, removed afterwards, on other workers.

    Multi-worker saves are collective: every worker must save, but only the chief's copy is kept.
    """
    if is_chief(strategy):
        yield path
        return
    scratch = tempfile.mkdtemp(prefix="arcface-worker-")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
