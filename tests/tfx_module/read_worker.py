"""Reads the Trainer's input as one worker of a MultiWorkerMirroredStrategy (the cluster in TF_CONFIG).

    python tests/tfx_module/read_worker.py FILE_PATTERN TRANSFORM_GRAPH GLOBAL_BATCH STEPS

Draws STEPS global batches through `strategy.distribute_datasets_from_function(training_dataset)`,
as the Trainer's loop does, without augmentation, and prints one JSON line: this worker's index and
the key (`image_key`) of every image it read, in order.
"""

import hashlib
import json
import sys

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from tfx_module.trainer.inputs import training_dataset
from tests.tfx_module.trainer_fixtures import TRANSFORM

NO_AUGMENTATION = {"flip": False, "crop_jitter": 0.0, "brightness": 0.0, "contrast": 0.0}


def image_key(image):
    """A decoded image's identity: a digest of its pixels."""
    return hashlib.sha1(np.asarray(image, np.float32).tobytes()).hexdigest()


def reader(pattern, transform_graph, batch_size):
    """`input_context` -> the Trainer's batches of the files of `pattern`, unaugmented."""
    schema = tft.TFTransformOutput(transform_graph).transformed_metadata.schema
    return lambda input_context: training_dataset([pattern], schema, TRANSFORM, batch_size, NO_AUGMENTATION,
                                                  shuffle_buffer=64, seed=0, input_context=input_context)


def main(pattern, transform_graph, batch_size, steps):
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # first: before any other op
    batches = iter(strategy.distribute_datasets_from_function(reader(pattern, transform_graph, batch_size)))
    keys = []
    for _ in range(steps):
        images, _ = next(batches)
        for local in strategy.experimental_local_results(images):
            keys.extend(image_key(image) for image in local.numpy())
    print(json.dumps({"worker": strategy.cluster_resolver.task_id, "keys": keys}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
