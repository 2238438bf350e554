"""The training model from the trainer config: a backbone and a margin head, and its train step."""

import keras
import tensorflow as tf

import arcface_module
# Loaded with this module, not on first use: importing the backbones draws from Python's `random`
# (Keras initializers made at module level take a default seed), and run_fn seeds `random` just
# before it builds the model; a draw after the seed would change every initial weight.
import arcface_module.backbones  # noqa: F401
import arcface_module.layers  # noqa: F401
from tfx_module.trainer import logged


class MarginTrainer(keras.Model):
    """A backbone and a `MarginHead`, trained on `(images, class_ids)` batches.

    The loss is averaged over the global batch and the replicas' gradients are summed, so N
    replicas take the step one device takes on the whole batch, with the same learning rate.
    With `accumulation_steps` k > 1 each replica's batch is taken in k micro-batches, one after
    the other, their gradients summed into one update: the step of the whole batch, in the memory
    of 1/k of it (batch-norm statistics, Partial FC's sampled classes and AdaFace's statistics are
    then per micro-batch, as in arcface_torch's gradient_acc).
    Each step logs, over the global batch: `loss`, `accuracy` (how often the nearest class
    center, without margin, is the sample's own class; under Partial FC `sampled_accuracy`,
    the same among the classes the step sampled, so that no step multiplies by every class
    center) and the `learning_rate` it used.
    `steps` counts the train steps taken (`trained_steps` reads it); it is part of the model's
    state, so a checkpoint of the model records how far training went.

    Example:

    >>> backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    >>> model = MarginTrainer(backbone, arcface_module.MarginHead(10, scale=16.0))
    >>> model.compile(optimizer="adamw")
    >>> logs = model.train_step((tf.zeros([4, 32, 32, 3]), tf.range(4)))
    >>> sorted(logs)
    ['accuracy', 'learning_rate', 'loss']
    """

    def __init__(self, backbone, head, accumulation_steps=1, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head = head
        self.accumulation_steps = accumulation_steps
        if not head.built:
            head.build([backbone.output_shape, (None,)])
        # Not the optimizer's count, which stands still on the steps a loss-scale optimizer skips.
        self.steps = self.add_weight(
            shape=(),
            dtype="int64",
            initializer="zeros",
            trainable=False,
            autocast=False,
            aggregation="only_first_replica",
            name="steps",
        )
        self.built = True  # backbone and head are built: nothing is left to infer from data
        self.accuracy_name = logged.SAMPLED_ACCURACY if head.num_sampled < head.num_classes else logged.ACCURACY

    def call(self, inputs, training=False):
        """`(images, class_ids)` -> per-sample loss."""
        images, class_ids = inputs
        return self.head([self.backbone(images, training=training), class_ids], training=training)

    def _micro_step(self, images, class_ids):
        """Gradients, loss and accuracy of one micro-batch, each its share of the global batch's."""
        with tf.GradientTape() as tape:
            embeddings = self.backbone(images, training=True)
            per_sample_loss, cosine, columns = self.head([embeddings, class_ids], training=True, return_cosine=True)
            loss = tf.nn.compute_average_loss(per_sample_loss) / self.accumulation_steps
            scaled_loss = self.optimizer.scale_loss(loss)
        # Scored before the update, like the loss: the centers the embeddings were compared to.
        nearest = tf.argmax(cosine, axis=-1)
        correct = tf.cast(nearest == tf.cast(columns, nearest.dtype), tf.float32)
        accuracy = tf.nn.compute_average_loss(correct) / self.accumulation_steps
        return tape.gradient(scaled_loss, self.trainable_variables), loss, accuracy

    def train_step(self, data):
        images, class_ids = data
        learning_rate = self.optimizer.learning_rate
        gradients, loss, accuracy = None, 0.0, 0.0
        for micro_images, micro_ids in zip(tf.split(images, self.accumulation_steps),
                                           tf.split(class_ids, self.accumulation_steps)):
            # One micro-batch after the other: the activations of one are freed before the next.
            with tf.control_dependencies(_tensors(gradients)):
                micro_images = tf.identity(micro_images)
            micro_gradients, micro_loss, micro_accuracy = self._micro_step(micro_images, micro_ids)
            gradients = micro_gradients if gradients is None else list(map(_add, gradients, micro_gradients))
            loss, accuracy = loss + micro_loss, accuracy + micro_accuracy
        self.optimizer.apply(gradients, self.trainable_variables)
        self.steps.assign_add(1)
        # Each replica holds its share of the global means: their sum is the global figure.
        loss, accuracy = tf.distribute.get_replica_context().all_reduce("sum", [loss, accuracy])
        return {logged.LOSS: loss, self.accuracy_name: accuracy, logged.LEARNING_RATE: learning_rate}


def _add(total, gradient):
    # Partial FC's centers get sparse gradients (the sampled rows): kept sparse, never a dense 1e6-row sum.
    if isinstance(total, tf.IndexedSlices):
        return tf.IndexedSlices(tf.concat([total.values, gradient.values], 0),
                                tf.concat([total.indices, gradient.indices], 0), total.dense_shape)
    return total + gradient


def _tensors(gradients):
    return [g.values if isinstance(g, tf.IndexedSlices) else g for g in gradients or [] if g is not None]


def trained_steps(model):
    """The train steps a `MarginTrainer` has taken, as a Python int (distributed variables too)."""
    return int(keras.ops.convert_to_numpy(model.steps))


def build_margin(trainer):
    """The margin layer named by the trainer config (`margin_type`, `margin`, `combined_margins`)."""
    if trainer.margin_type == "combined":
        m1, m2, m3 = trainer.combined_margins
        return arcface_module.get_margin("combined", m1=m1, m2=m2, m3=m3)
    return arcface_module.get_margin(trainer.margin_type, margin=trainer.margin)


def synchronize_batch_norm(model):
    """A copy of `model` whose BatchNormalization layers use the statistics of the global batch.

    The copy starts from `model`'s weights. Synchronised batch norm needs a distribution
    strategy's replica context (any strategy, or none, works outside training).
    """

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, keras.layers.BatchNormalization):
            config["synchronized"] = True
        return layer.__class__.from_config(config)

    synchronized = keras.models.clone_model(model, clone_function=clone)
    synchronized.set_weights(model.get_weights())
    return synchronized


def build_training_model(trainer, image_size, num_classes, sync_batch_norm=False):
    """The backbone and head the trainer config (a `TrainerConfig`) names, as a `MarginTrainer`.

    Args:
        trainer: the pipeline config's `trainer` section.
        image_size: side of the square transformed images.
        num_classes: identities in the training split.
        sync_batch_norm: synchronise batch norm over the replicas (`synchronize_batch_norm`).
    """
    backbone = arcface_module.get_backbone(
        trainer.backbone,
        num_features=trainer.embedding_size,
        input_shape=(image_size, image_size, 3),
    )
    head = arcface_module.MarginHead(
        num_classes,
        margin=build_margin(trainer),
        scale=trainer.scale,
        sub_centers=trainer.sub_centers,
        sample_rate=trainer.partial_fc_rate,
        seed=trainer.seed,
    )
    head.build([(None, trainer.embedding_size), (None,)])
    # After the head, so that the head's initial weights do not depend on this choice.
    if sync_batch_norm:
        backbone = synchronize_batch_norm(backbone)
    return MarginTrainer(backbone, head, trainer.gradient_accumulation_steps)
