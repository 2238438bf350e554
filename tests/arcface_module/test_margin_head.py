"""MarginHead: equal to ArcFaceLayer + MarginLoss, Partial FC sampling and sparse updates,
AdaFace statistics, add_loss, and use in a custom loop."""

import keras
import numpy as np
import pytest

from arcface_module import ArcFaceLayer, MarginHead, MarginLoss
from arcface_module.layers import sample_classes


def _embeddings(batch, dim=8, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, dim)).astype("float32")


def _head_loss(head, embeddings, labels, training=False):
    return keras.ops.convert_to_numpy(head([embeddings, labels], training=training))


def _layer_with_centers_of(head):
    layer = ArcFaceLayer(head.num_classes, sub_centers=head.sub_centers)
    layer.build((None, head.classifier.centers.shape[-1]))
    layer.centers.assign(head.classifier.centers)
    return layer


@pytest.mark.parametrize("margin", ["arcface", "cosface", "sphereface", "combined"])
@pytest.mark.parametrize("sub_centers", [1, 3])
def test_full_head_equals_arcface_layer_with_margin_loss(margin, sub_centers):
    embeddings, labels = _embeddings(16), np.arange(16) % 5
    head = MarginHead(5, margin=margin, scale=32.0, sub_centers=sub_centers)
    per_sample = _head_loss(head, embeddings, labels)
    layer = _layer_with_centers_of(head)
    expected = MarginLoss(margin, scale=32.0)(labels, layer(embeddings))
    np.testing.assert_allclose(per_sample.mean(), float(expected), rtol=1e-6)


def test_partial_fc_that_samples_every_class_equals_the_full_head():
    # 10 classes, all in the batch: Partial FC keeps them all, in a random order.
    embeddings, labels = _embeddings(10), np.random.default_rng(1).permutation(10)
    full = MarginHead(10, sample_rate=1.0)
    partial = MarginHead(10, sample_rate=0.3, seed=3)
    partial.build([embeddings.shape, labels.shape])
    full.build([embeddings.shape, labels.shape])
    partial.classifier.centers.assign(full.classifier.centers)
    np.testing.assert_allclose(
        _head_loss(partial, embeddings, labels), _head_loss(full, embeddings, labels), rtol=1e-5
    )


@pytest.mark.parametrize("num_sampled, batch", [(50, 16), (8, 32)])
def test_sampled_classes_always_hold_the_positives(num_sampled, batch):
    seed = keras.random.SeedGenerator(0)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(20):
        labels = rng.integers(0, 200, batch).astype("int32")
        size = max(num_sampled, batch)
        indices, sampled_labels = sample_classes(
            keras.ops.convert_to_tensor(labels), 200, size, seed
        )
        indices = keras.ops.convert_to_numpy(indices)
        assert len(indices) == size and len(set(indices)) == size
        np.testing.assert_array_equal(indices[keras.ops.convert_to_numpy(sampled_labels)], labels)
        seen.update(indices.tolist())
    assert len(seen) > size * 2  # the negatives change from call to call


def _one_sgd_step(num_classes, sample_rate, embeddings, labels):
    """Fits a head alone for one SGD step; returns the centers before and after."""
    head = MarginHead(num_classes, sample_rate=sample_rate, seed=0)
    inputs = [keras.Input((embeddings.shape[1],)), keras.Input((), dtype="int32")]
    model = keras.Model(inputs, head(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1.0))
    before = keras.ops.convert_to_numpy(head.classifier.centers).copy()
    model.fit([embeddings, labels], epochs=1, batch_size=len(labels), verbose=0)
    after = keras.ops.convert_to_numpy(head.classifier.centers)
    return before, after, head


def test_only_sampled_centers_change_after_a_step():
    labels = np.random.default_rng(2).choice(1000, 16, replace=False)
    before, after, head = _one_sgd_step(1000, 0.1, _embeddings(16, seed=2), labels)
    changed = np.any(before != after, axis=(1, 2))
    assert changed[labels].all()
    assert changed.sum() <= head.num_sampled == 100
    np.testing.assert_array_equal(after[~changed], before[~changed])


def test_batch_larger_than_the_sample_keeps_every_positive():
    # sample_rate * num_classes = 5 < 24 labels: each step keeps 24 centers, all positives.
    labels = np.random.default_rng(3).choice(100, 24, replace=False)
    before, after, _ = _one_sgd_step(100, 0.05, _embeddings(24, seed=3), labels)
    changed = np.any(before != after, axis=(1, 2))
    assert changed[labels].all()
    assert changed.sum() == 24


def test_adaface_statistics_move_only_in_training():
    head = MarginHead(10, margin="adaface")
    embeddings, labels = _embeddings(8) * 5, np.arange(8)
    _head_loss(head, embeddings, labels, training=False)
    assert float(head.margin.norm_mean) == 20.0
    _head_loss(head, embeddings, labels, training=True)
    mean_norm = np.linalg.norm(embeddings, axis=1).mean()
    expected = 0.99 * 20 + 0.01 * mean_norm
    np.testing.assert_allclose(float(head.margin.norm_mean), expected, rtol=1e-6)


def test_the_mean_loss_is_added_with_add_loss():
    head = MarginHead(4, margin="cosface")
    per_sample = _head_loss(head, _embeddings(6), np.array([0, 1, 2, 3, 0, 1]))
    assert per_sample.shape == (6,)
    assert len(head.losses) == 1
    np.testing.assert_allclose(float(head.losses[0]), per_sample.mean(), rtol=1e-6)


def test_usable_in_a_custom_loop(value_and_gradient):
    # A custom loop moves the embeddings themselves by the head's gradient: the loss falls.
    head = MarginHead(4, margin="arcface", scale=16.0)
    embeddings, labels = _embeddings(8), np.arange(8) % 4

    def loss(e):
        return keras.ops.mean(head([e, labels], training=True))

    start, _ = value_and_gradient(loss, embeddings)
    for _ in range(30):
        value, gradient = value_and_gradient(loss, embeddings)
        assert np.all(np.isfinite(gradient))
        embeddings = embeddings - 2.0 * gradient
    assert value < start / 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sample_rate": 0.0}, r"`sample_rate` must be in \(0, 1\]; received sample_rate=0.0"),
        ({"sample_rate": 1.5}, r"`sample_rate` must be in \(0, 1\]; received sample_rate=1.5"),
        ({"scale": -1.0}, "`scale` must be > 0; received scale=-1.0"),
        ({"margin": 0.5}, "`margin` must be a margin name or a margin layer; received 0.5"),
        ({"margin": "arc"}, "Unknown margin 'arc'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MarginHead(10, **kwargs)
