"""The backbones' faster kernels compute what Keras' own layers compute, to fp32 round-off.

`FusedBatchNormalization` (TensorFlow's fused kernel in training) and `GroupedConv2D` (oneDNN's
grouped convolution) against the computation they replaced: Keras' `BatchNormalization` and the
grouped convolution as a depthwise convolution and a sum.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from arcface_module import MarginHead, get_backbone
from arcface_module.backbones import blocks


@pytest.fixture
def replaced_kernels(monkeypatch):
    """A context in which the backbones compute as before the faster kernels."""

    def use():
        monkeypatch.setattr(blocks.FusedBatchNormalization, "call", keras.layers.BatchNormalization.call)
        monkeypatch.setattr(blocks, "native_grouped_convolution", lambda: False)

    return use


def _loss_and_gradients(backbone, head, images, class_ids):
    with tf.GradientTape() as tape:
        embeddings = backbone(tf.constant(images, backbone.compute_dtype), training=True)
        loss = tf.reduce_mean(head([embeddings, class_ids], training=True))
    gradients = tape.gradient(loss, backbone.trainable_variables + head.trainable_variables)
    return float(loss), [g.numpy().astype("float64") for g in gradients]


def _mbf_and_head(weights=None):
    backbone = get_backbone("mbf", num_features=64)
    head = MarginHead(10)
    head.build([(None, 64), (None,)])
    for variable, value in zip(backbone.weights + head.weights, weights or ()):
        variable.assign(value)
    return backbone, head


def test_mbf_train_step_loss_and_gradients_equal_the_replaced_kernels(replaced_kernels):
    # fp32 round-off alone moves some gradients of a batch of 4 by several % (BatchNorm over 4
    # samples at 1x1, ArcFace's scale 64): "equal within fp32 tolerance" is measured against the
    # step in float64. The faster kernels must be as close to it as the replaced ones are.
    keras.utils.set_random_seed(3)
    backbone, head = _mbf_and_head()
    weights = [w.numpy() for w in backbone.weights + head.weights]
    images = np.random.default_rng(0).uniform(-1, 1, (4, 112, 112, 3))
    class_ids = np.array([0, 1, 2, 3])
    fast_loss, fast = _loss_and_gradients(backbone, head, images, class_ids)
    replaced_kernels()
    reference_loss, reference = _loss_and_gradients(*_mbf_and_head(weights), images, class_ids)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    try:
        exact_loss, exact = _loss_and_gradients(*_mbf_and_head(weights), images, class_ids)
    finally:
        keras.config.set_dtype_policy(previous)

    assert abs(fast_loss - exact_loss) <= 2 * abs(reference_loss - exact_loss) + 1e-6 * exact_loss
    # Errors relative to each variable's largest exact gradient; ~0 gradients (a beta before
    # another BatchNorm) relative to the largest of all.
    scale = max(np.abs(g).max() for g in exact)
    sizes = [max(np.abs(truth).max(), 1e-4 * scale) for truth in exact]
    errors = [np.abs(f - t).max() / s for f, t, s in zip(fast, exact, sizes)]
    reference_errors = [np.abs(r - t).max() / s for r, t, s in zip(reference, exact, sizes)]
    # Each within twice the replaced kernels' error on it, or their median error over all.
    allowed = np.maximum(2 * np.asarray(reference_errors), np.median(reference_errors))
    names = [v.path for v in backbone.trainable_variables + head.trainable_variables]
    assert [n for n, e, a in zip(names, errors, allowed) if e > a] == []


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
def test_fused_batch_norm_equals_keras_batch_norm(policy):
    rng = np.random.default_rng(1)
    inputs = rng.normal(2.0, 3.0, (8, 5, 5, 6)).astype("float32")
    layers = [
        cls(epsilon=1e-5, momentum=0.9, dtype=policy)
        for cls in (blocks.FusedBatchNormalization, keras.layers.BatchNormalization)
    ]
    gamma = rng.uniform(0.5, 1.5, 6)
    weights = rng.normal(size=inputs.shape).astype("float32")  # a loss with every gradient nonzero
    results = []
    for layer in layers:
        layer.build(inputs.shape)
        layer.gamma.assign(gamma)
        x = tf.constant(inputs)
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = tf.cast(layer(x, training=True), "float32")
            loss = tf.reduce_sum(outputs * weights)
        gradients = tape.gradient(loss, [x, layer.gamma.value, layer.beta.value])
        results.append([outputs.numpy(), *[g.numpy() for g in gradients],
                        layer.moving_mean.numpy(), layer.moving_variance.numpy()])
    tolerance = 1e-5 if policy == "float32" else 1e-3  # float16 outputs
    for fast, keras_value, name in zip(*results, ["outputs", "d inputs", "d gamma", "d beta",
                                                 "moving mean", "moving variance"]):
        np.testing.assert_allclose(fast, keras_value, rtol=tolerance, atol=tolerance, err_msg=name)


def test_grouped_convolution_equals_the_depthwise_formulation(replaced_kernels):
    layer = blocks.GroupedConv2D(8, 3, groups=4, padding="same", use_bias=False)
    inputs = tf.constant(np.random.default_rng(2).normal(size=(2, 7, 7, 12)).astype("float32"))
    native = layer(inputs).numpy()
    replaced_kernels()
    np.testing.assert_allclose(native, layer(inputs).numpy(), rtol=1e-5, atol=1e-5)
