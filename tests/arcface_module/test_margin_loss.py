"""MarginLoss and ArcFaceLoss: logits and loss against the NumPy reference, label formats,
gradients at the edges, and use in a custom training loop."""

import math

import keras
import numpy as np
import pytest

import margin_reference as ref
from arcface_module import ArcFaceLoss, CombinedMargin, MarginLoss, get_margin
from arcface_module.losses import margin_logits, margin_softmax_cross_entropy, one_hot_targets

NUM_CLASSES = 7


def _target_cosines(cosine, labels):
    return cosine[np.arange(len(labels)), labels].astype(np.float64)


def _cosines_and_labels(seed, batch=32):
    """Random cosines, with target angles that include 0, near pi and past pi - 0.5."""
    rng = np.random.default_rng(seed)
    cosine = np.cos(rng.uniform(0, math.pi, (batch, NUM_CLASSES)))
    labels = rng.integers(0, NUM_CLASSES, batch)
    edges = [0.0, 1e-4, math.pi - 0.5 + 0.1, math.pi - 1e-4, math.pi]
    cosine[np.arange(len(edges)), labels[: len(edges)]] = np.cos(edges)
    return cosine.astype("float32"), labels


@pytest.mark.parametrize(
    "margin, combined",
    [
        ("arcface", (1.0, 0.5, 0.0)),
        ("cosface", (1.0, 0.0, 0.4)),
        ("sphereface", (1.35, 0.0, 0.0)),
        ("combined", (1.0, 0.3, 0.2)),
    ],
)
@pytest.mark.parametrize("scale", [64.0, 30.0])
def test_logits_and_loss_match_reference(margin, combined, scale):
    cosine, labels = _cosines_and_labels(0)
    target = ref.combined_margin(_target_cosines(cosine, labels), *combined)
    want_logits, want_loss = ref.margin_softmax(cosine, labels, target, scale)

    targets = one_hot_targets(labels, NUM_CLASSES)
    got_logits = margin_logits(cosine, targets, get_margin(margin), scale)
    # 1e-6 in cosine units: float32 rounding of the scaled logits alone is up to 4e-6 at s=64.
    got_logits = keras.ops.convert_to_numpy(got_logits)
    np.testing.assert_allclose(got_logits, want_logits, rtol=0, atol=1e-6 * scale)
    got_loss = margin_softmax_cross_entropy(cosine, targets, get_margin(margin), scale)
    got_loss = keras.ops.convert_to_numpy(got_loss)
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5, atol=1e-5)
    loss = MarginLoss(margin, scale=scale)
    np.testing.assert_allclose(float(loss(labels, cosine)), want_loss.mean(), rtol=1e-5)


def test_arcface_loss_is_the_arcface_margin_loss():
    cosine, labels = _cosines_and_labels(1)
    target = ref.insightface_arcface(_target_cosines(cosine, labels), 0.45)
    _, want = ref.margin_softmax(cosine, labels, target, 32.0)
    got = ArcFaceLoss(margin=0.45, scale=32.0)(labels, cosine)
    np.testing.assert_allclose(float(got), want.mean(), rtol=1e-5)


def test_sparse_and_one_hot_labels_give_the_same_loss():
    cosine, labels = _cosines_and_labels(2)
    loss = ArcFaceLoss()
    expected = float(loss(labels, cosine))
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[labels]
    for y_true in [labels[:, None], labels.astype("float32"), labels.astype("int64"), one_hot]:
        assert float(loss(y_true, cosine)) == pytest.approx(expected, rel=1e-6)


def test_bad_label_shape_is_named():
    cosine, _ = _cosines_and_labels(3, batch=8)
    message = r"one-hot labels of shape \(batch, 7\); received labels of shape \(8, 3\)"
    with pytest.raises(ValueError, match=message):
        ArcFaceLoss()(np.zeros((8, 3)), cosine)


def test_loss_arguments_are_checked():
    with pytest.raises(ValueError, match="`scale` must be > 0; received scale=0"):
        ArcFaceLoss(scale=0)
    with pytest.raises(ValueError, match="MarginHead\\(margin='adaface'\\)"):
        MarginLoss("adaface")
    with pytest.raises(ValueError, match="Unknown margin 'arc'"):
        MarginLoss("arc")


@pytest.mark.parametrize("margin", ["arcface", "cosface", "sphereface", "combined"])
def test_loss_gradient_is_finite_at_cos_plus_minus_one(margin, value_and_gradient):
    cosine = np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.3, -1.0, 1.0]], "float32")
    labels = np.array([0, 0, 1])
    loss, gradient = value_and_gradient(lambda c: MarginLoss(margin)(labels, c), cosine)
    assert np.isfinite(loss)
    assert np.all(np.isfinite(gradient)), gradient


def test_loss_is_float32_for_float16_cosines():
    cosine, labels = _cosines_and_labels(4)
    loss = ArcFaceLoss()(labels, cosine.astype("float16"))
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    assert np.isfinite(float(loss))


def test_usable_in_a_custom_training_loop(value_and_gradient):
    # Gradient descent on the cosines themselves: the loss must fall, with any label format.
    cosine, labels = _cosines_and_labels(5)
    loss = ArcFaceLoss(margin=0.5, scale=16.0)
    start, _ = value_and_gradient(lambda c: loss(labels, c), cosine)
    for _ in range(20):
        value, gradient = value_and_gradient(lambda c: loss(labels, c), cosine)
        cosine = np.clip(cosine - 0.05 * gradient * len(labels), -1, 1)
    assert value < start / 2


def test_margin_loss_accepts_a_margin_layer():
    cosine, labels = _cosines_and_labels(6)
    by_layer = MarginLoss(CombinedMargin(m1=0.9, m2=0.4, m3=0.15), scale=64.0)(labels, cosine)
    target = ref.combined_margin(_target_cosines(cosine, labels), 0.9, 0.4, 0.15)
    _, want = ref.margin_softmax(cosine, labels, target, 64.0)
    np.testing.assert_allclose(float(by_layer), want.mean(), rtol=1e-5)
