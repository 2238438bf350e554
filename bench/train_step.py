"""Worker: times whole Trainer train steps (backbone + head + metric + update) of one head, in its own process.

    python -m bench.train_step BACKBONE IMAGE_SIZE CLASSES SAMPLE_RATE BATCH DIM STEPS

One step is `MarginTrainer.train_step` as the Trainer runs it (compiled as the loop compiles it):
the backbone forward and backward, the margin head's loss, the logged accuracy (over every class,
or Partial FC's sampled classes) and an SGD update without momentum or weight decay (no optimizer
slots, so that 1e6 x 512 float32 centers fit in memory; and only the sampled centers' rows are
updated). Prints one JSON line: each timed step's seconds and the process's peak resident memory.
"""

import sys
import time

import keras
import numpy as np
import tensorflow as tf

import arcface_module
from bench import measure
from tfx_module.trainer.model import MarginTrainer


def main(backbone_name, image_size, num_classes, sample_rate, batch_size, dim, steps):
    keras.utils.set_random_seed(0)
    backbone = arcface_module.get_backbone(backbone_name, num_features=dim, input_shape=(image_size, image_size, 3))
    model = MarginTrainer(backbone, arcface_module.MarginHead(num_classes, sample_rate=sample_rate, seed=0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    model.optimizer.build(model.trainable_variables)
    step = tf.function(model.train_step)
    rng = np.random.default_rng(0)
    batches = [
        (tf.constant(rng.normal(size=(batch_size, image_size, image_size, 3)), tf.float32),
         tf.constant(rng.integers(0, num_classes, batch_size), tf.int32))
        for _ in range(steps + 1)
    ]
    _ = {name: value.numpy() for name, value in step(batches[0]).items()}  # traces: not timed
    seconds, peaks = [], []
    for batch in batches[1:]:
        measure.reset_peak_rss()
        start = time.perf_counter()
        _ = {name: value.numpy() for name, value in step(batch).items()}  # numpy(): wait for the step
        seconds.append(time.perf_counter() - start)
        peaks.append(measure.peak_rss_bytes())
    measure.print_result({"seconds": seconds, "peak_rss_bytes": peaks})


if __name__ == "__main__":
    backbone, size, classes, rate, batch, features, timed_steps = sys.argv[1:]
    main(backbone, int(size), int(classes), float(rate), int(batch), int(features), int(timed_steps))
