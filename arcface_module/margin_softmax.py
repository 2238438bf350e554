from keras import ops


def one_hot_targets(labels, num_classes):
    """Float32 one-hot targets from sparse integer labels or from one-hot labels.

    Sparse labels have shape `(batch,)` or `(batch, 1)` and any numeric dtype (Keras losses
    receive them as floats); one-hot labels have shape `(batch, num_classes)`.
    """
    labels = ops.convert_to_tensor(labels)
    shape = tuple(labels.shape)
    if len(shape) == 2 and shape[-1] == num_classes and num_classes > 1:
        return ops.cast(labels, "float32")
    if len(shape) == 1 or (len(shape) == 2 and shape[-1] == 1):
        sparse = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return ops.one_hot(sparse, num_classes, dtype="float32")
    raise ValueError(
        "Expected labels of shape (batch,) or (batch, 1) with class indices, or one-hot labels "
        f"of shape (batch, {num_classes}); received labels of shape {shape}."
    )


def margin_logits(cosine, targets, margin, scale, feature_norms=None):
    """`scale * cosine`, with the margin applied to each sample's target class.

    Args:
        cosine: float32 `(batch, classes)` cosines between embeddings and class centers.
        targets: float32 one-hot `(batch, classes)` targets.
        margin: a margin layer mapping target cosines to penalised ones (`CombinedMargin`,
            `AdaFaceMargin`).
        scale: the softmax scale `s`.
        feature_norms: embedding norms before normalisation, for margins that use them.
    """
    target_cosine = ops.sum(cosine * targets, axis=-1)
    penalised = margin(target_cosine, feature_norms=feature_norms)
    return scale * ops.where(targets > 0.0, ops.expand_dims(penalised, -1), cosine)


def margin_softmax_cross_entropy(cosine, targets, margin, scale, feature_norms=None):
    """Per-sample softmax cross-entropy of the `margin_logits` (same arguments)."""
    logits = margin_logits(cosine, targets, margin, scale, feature_norms)
    return ops.categorical_crossentropy(targets, logits, from_logits=True)
