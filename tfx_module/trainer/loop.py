"""The training loop: one distributed train step after another, with Keras callbacks."""

import keras
import tensorflow as tf


def train(model, dataset_fn, strategy, first_step, last_step, callbacks=()):
    """Trains a compiled `MarginTrainer` on `dataset_fn`'s batches from `first_step` up to `last_step`.

    A plain loop rather than `model.fit`: under a distribution strategy, Keras 3.15's fit first
    builds the model from a batch reduced over the replicas (which fails under
    MultiWorkerMirroredStrategy) and then reads the dataset again from the start (which reshuffles
    it). Here every batch is read once, in order, on any strategy.

    Args:
        model: a compiled `MarginTrainer`, built under `strategy.scope()`.
        dataset_fn: `tf.distribute.InputContext` -> batches of `(images, class_ids)` of one
            replica (`strategy.distribute_datasets_from_function`; see `inputs.training_dataset`).
        strategy: the `tf.distribute.Strategy` the model was built under.
        first_step, last_step: the train steps (`trained_steps`) to go from and to.
        callbacks: Keras callbacks; `on_train_batch_end` gets the step's logs (loss, accuracy,
            learning rate over the global batch).
    """
    batches = iter(strategy.distribute_datasets_from_function(dataset_fn))

    def step_function():
        @tf.function
        def train_step(batches):
            logs = strategy.run(model.train_step, args=(next(batches),))
            # The train step reduces its logs over the replicas: any replica's copy is the global value.
            return {name: strategy.experimental_local_results(value)[0] for name, value in logs.items()}

        return train_step

    callbacks = keras.callbacks.CallbackList(list(callbacks), model=model)
    callbacks.on_train_begin()
    traced_for = None
    for step in range(first_step, last_step):
        callbacks.on_train_batch_begin(step)
        # A callback may freeze or unfreeze layers (warm_start.FreezeBackbone): a traced step
        # updates the variables that were trainable when it was traced, so it is traced again.
        trainable = tuple(id(variable) for variable in model.trainable_variables)
        if trainable != traced_for:
            train_step, traced_for = step_function(), trainable
        callbacks.on_train_batch_end(step, train_step(batches))
    callbacks.on_train_end()
