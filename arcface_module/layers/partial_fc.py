import keras
from keras import ops


def sample_classes(labels, num_classes, num_sampled, seed):
    """Partial FC's class sampling: every class of the batch plus random other classes.

    As in Partial FC (An et al., CVPR 2022), each positive class gets a score of 2 and every
    other class a uniform random score in [0, 1); the `num_sampled` best-scored classes are
    kept. With at least as many kept classes as samples in the batch, every positive is kept.

    Args:
        labels: `(batch,)` int32 class indices.
        num_classes: total number of classes.
        num_sampled: how many classes to keep, at least the batch size (an int, or a scalar
            tensor when the batch size is only known at run time).
        seed: a `keras.random.SeedGenerator`.

    Returns:
        `(class_indices, sampled_labels)`: the `(num_sampled,)` kept classes, and each label's
        position among them.
    """
    in_batch = ops.scatter(
        ops.expand_dims(labels, -1), ops.ones_like(labels, dtype="float32"), (num_classes,)
    )
    scores = ops.where(in_batch > 0.0, 2.0, keras.random.uniform((num_classes,), seed=seed))
    _, class_indices = ops.top_k(scores, k=num_sampled, sorted=False)
    position = ops.scatter(
        ops.expand_dims(class_indices, -1),
        ops.arange(ops.shape(class_indices)[0], dtype="int32"),
        (num_classes,),
    )
    return class_indices, ops.take(position, labels)
