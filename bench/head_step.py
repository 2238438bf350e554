"""Worker: times training steps of one ArcFace head configuration, in its own process.

    python -m bench.head_step CLASSES SAMPLE_RATE BATCH DIM STEPS

One step is what the head costs a training step: the forward pass (cosines to the class
centers, margin, softmax cross-entropy), the gradients to the centers and to the embeddings
(which the backbone needs), and a plain SGD update of the centers (no optimizer slots, so that
1e6 x 512 float32 centers fit in memory). Prints one JSON line: each timed step's seconds and
the process's peak resident memory during it.
"""

import sys
import time

import keras
import numpy as np
import tensorflow as tf

import arcface_module
from bench import measure


def head_step_fn(head, optimizer):
    @tf.function
    def step(embeddings, labels):
        with tf.GradientTape() as tape:
            tape.watch(embeddings)
            loss = tf.reduce_mean(head([embeddings, labels], training=True))
        center_gradients, embedding_gradients = tape.gradient(
            loss, [head.trainable_variables, embeddings]
        )
        optimizer.apply(center_gradients, head.trainable_variables)
        return loss, embedding_gradients

    return step


def main(num_classes, sample_rate, batch_size, dim, steps):
    keras.utils.set_random_seed(0)
    head = arcface_module.MarginHead(num_classes, sample_rate=sample_rate, seed=0)
    head.build([(None, dim), (None,)])
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    optimizer.build(head.trainable_variables)
    step = head_step_fn(head, optimizer)
    rng = np.random.default_rng(0)
    batches = [
        (tf.constant(rng.normal(size=(batch_size, dim)), tf.float32),
         tf.constant(rng.integers(0, num_classes, batch_size), tf.int32))
        for _ in range(steps + 1)
    ]
    # The first step traces and builds the graph: not timed.
    _ = [t.numpy() for t in step(*batches[0])]
    seconds, peaks = [], []
    for embeddings, labels in batches[1:]:
        measure.reset_peak_rss()
        start = time.perf_counter()
        _ = [t.numpy() for t in step(embeddings, labels)]  # numpy(): wait for the step to finish
        seconds.append(time.perf_counter() - start)
        peaks.append(measure.peak_rss_bytes())
    measure.print_result({"seconds": seconds, "peak_rss_bytes": peaks})


if __name__ == "__main__":
    classes, rate, batch, features, timed_steps = sys.argv[1:]
    main(int(classes), float(rate), int(batch), int(features), int(timed_steps))
