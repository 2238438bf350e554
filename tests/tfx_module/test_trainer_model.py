"""The training model the config names: its margin, synchronised batch norm, and the step's logs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import arcface_module
from configs.model import TrainerConfig
from tfx_module.trainer.model import MarginTrainer, build_margin, synchronize_batch_norm, trained_steps


@pytest.mark.parametrize(
    "trainer, layer, parameters",
    [
        ({"margin_type": "arcface", "margin": 0.4}, arcface_module.CombinedMargin, {"m1": 1.0, "m2": 0.4, "m3": 0.0}),
        ({"margin_type": "cosface", "margin": 0.35}, arcface_module.CombinedMargin, {"m1": 1.0, "m2": 0.0, "m3": 0.35}),
        ({"margin_type": "sphereface", "margin": 1.5}, arcface_module.CombinedMargin, {"m1": 1.5, "m2": 0.0, "m3": 0.0}),
        (
            {"margin_type": "combined", "margin": 0.5, "combined_margins": [0.9, 0.4, 0.15]},
            arcface_module.CombinedMargin,
            {"m1": 0.9, "m2": 0.4, "m3": 0.15},
        ),
        ({"margin_type": "adaface", "margin": 0.3}, arcface_module.AdaFaceMargin, {"margin": 0.3}),
    ],
)
def test_margin_is_the_configured_one(trainer, layer, parameters):
    margin = build_margin(TrainerConfig.model_validate(trainer))
    assert isinstance(margin, layer)
    config = margin.get_config()
    assert {name: config[name] for name in parameters} == pytest.approx(parameters)


def test_synchronized_copy_keeps_the_weights_and_synchronises_every_batch_norm():
    backbone = arcface_module.get_backbone("tiny", num_features=8, input_shape=(16, 16, 3))
    synchronized = synchronize_batch_norm(backbone)
    batch_norms = [layer for layer in synchronized.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert batch_norms and all(layer.synchronized for layer in batch_norms)
    for original, copy in zip(backbone.weights, synchronized.weights):
        np.testing.assert_array_equal(original, copy)
    x = np.random.default_rng(0).normal(size=(4, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(synchronized(x, training=False), backbone(x, training=False), atol=1e-6)


def test_train_step_logs_the_batch_loss_before_the_update_and_takes_one_step():
    keras.utils.set_random_seed(0)
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    model = MarginTrainer(backbone, arcface_module.MarginHead(10, scale=16.0))
    model.compile(optimizer=keras.optimizers.AdamW(0.01))
    images = tf.random.stateless_normal([8, 32, 32, 3], [0, 1])
    class_ids = tf.constant([0, 1, 2, 3, 0, 1, 2, 3])
    # The loss the step logs is the head's mean loss in training mode, on the weights before the step.
    expected = float(tf.reduce_mean(model((images, class_ids), training=True)))
    logs = model.train_step((images, class_ids))
    assert sorted(logs) == ["accuracy", "learning_rate", "loss"]
    assert float(logs["loss"]) == pytest.approx(expected, rel=1e-5)
    assert 0.0 <= float(logs["accuracy"]) <= 1.0 and float(logs["learning_rate"]) == pytest.approx(0.01)
    assert trained_steps(model) == 1
    assert float(tf.reduce_mean(model((images, class_ids), training=True))) < expected


def _shapes_computed(function, *args):
    """The static shapes of every tensor the traced `function(*args)` computes."""
    graph = tf.function(function).get_concrete_function(*args).graph
    return {tuple(output.shape.as_list()) for op in graph.get_operations() for output in op.outputs
            if output.shape.rank is not None}


@pytest.mark.parametrize("sub_centers", [1, 3])
def test_under_partial_fc_the_step_scores_only_the_sampled_classes(sub_centers):
    # The full head's product: one cosine per sample and class (center). Partial FC 0.1 of 1000
    # classes scores 100 of them for the loss, and the logged accuracy is over those same 100.
    classes, batch = 1000, 8
    images, class_ids = tf.zeros([batch, 32, 32, 3]), tf.range(batch)
    trainers = {}
    for rate in (1.0, 0.1):
        backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
        trainers[rate] = MarginTrainer(backbone, arcface_module.MarginHead(
            classes, scale=16.0, sub_centers=sub_centers, sample_rate=rate, seed=0))
        trainers[rate].compile(optimizer=keras.optimizers.SGD(0.1))
    full_product = {(batch, classes * sub_centers), (batch, classes, sub_centers), (batch, classes)}
    assert full_product & _shapes_computed(trainers[1.0].train_step, (images, class_ids))
    assert not full_product & _shapes_computed(trainers[0.1].train_step, (images, class_ids))
    assert (batch, 100) in _shapes_computed(trainers[0.1].train_step, (images, class_ids))
    logs = trainers[0.1].train_step((images, class_ids))
    assert sorted(logs) == ["learning_rate", "loss", "sampled_accuracy"]
    assert 0.0 <= float(logs["sampled_accuracy"]) <= 1.0


def _trainer_pair(policy, accumulation_steps, backbone_fn):
    """Two MarginTrainers with the same initial weights: float32 plain, and `policy` / accumulation."""
    models = []
    for dtype_policy, steps in (("float32", 1), (policy, accumulation_steps)):
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(dtype_policy)
        try:
            keras.utils.set_random_seed(0)
            model = MarginTrainer(backbone_fn(), arcface_module.MarginHead(10, scale=16.0), steps)
            model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
            model.optimizer.build(model.trainable_variables)
        finally:
            keras.config.set_dtype_policy(previous)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


def _no_batch_norm_backbone():
    # Batch norm takes its statistics per micro-batch under accumulation: a backbone without it.
    return keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
                             keras.layers.Flatten(), keras.layers.Dense(16)])


def _steps(model, batches):
    step = tf.function(model.train_step)
    return [float(step(batch)["loss"]) for batch in batches]


BATCHES = [(tf.random.stateless_normal([16, 16, 16, 3], [0, i]), tf.range(16) % 10) for i in range(3)]


def test_gradient_accumulation_takes_the_plain_step_of_the_whole_batch():
    # 4 micro-batches of 4: the same losses and weights as one batch of 16, to float32 summation order.
    plain, accumulated = _trainer_pair("float32", 4, _no_batch_norm_backbone)
    np.testing.assert_allclose(_steps(accumulated, BATCHES), _steps(plain, BATCHES), rtol=1e-5)
    for a, b in zip(accumulated.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_bfloat16_steps_follow_the_float32_steps():
    # bfloat16 keeps 8 bits of mantissa (about 2 decimal digits): three steps' losses within 2%.
    plain, bf16 = _trainer_pair("mixed_bfloat16", 1, lambda: arcface_module.get_backbone(
        "tiny", num_features=16, input_shape=(16, 16, 3)))
    assert any(layer.compute_dtype == "bfloat16" for layer in bf16.backbone.layers)
    np.testing.assert_allclose(_steps(bf16, BATCHES), _steps(plain, BATCHES), rtol=2e-2)
