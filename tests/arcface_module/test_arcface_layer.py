"""ArcFaceLayer: cosines to (sub-)centers against NumPy, Partial FC subsets, dtypes, arguments."""

import keras
import numpy as np
import pytest

import margin_reference as ref
from arcface_module import ArcFaceLayer


def _layer_and_inputs(num_classes=6, sub_centers=1, dim=5, batch=4, seed=0):
    layer = ArcFaceLayer(num_classes, sub_centers=sub_centers)
    embeddings = np.random.default_rng(seed).normal(size=(batch, dim)).astype("float32") * 10
    layer.build(embeddings.shape)
    return layer, embeddings


@pytest.mark.parametrize("sub_centers", [1, 3])
def test_cosines_match_numpy(sub_centers):
    layer, embeddings = _layer_and_inputs(sub_centers=sub_centers)
    centers = keras.ops.convert_to_numpy(layer.centers)
    assert centers.shape == (6, sub_centers, 5)
    got = keras.ops.convert_to_numpy(layer(embeddings))
    np.testing.assert_allclose(got, ref.cosines(embeddings, centers), atol=1e-6)


def test_sub_center_cosine_is_the_closest_center():
    layer, embeddings = _layer_and_inputs(num_classes=2, sub_centers=2, dim=2, batch=1)
    # Class 0's second center and class 1's first center point along the embedding.
    layer.centers.assign(np.array([[[0, 1], [1, 0]], [[1, 0], [-1, 0]]], "float32"))
    got = keras.ops.convert_to_numpy(layer(np.array([[3.0, 0.0]], "float32")))
    np.testing.assert_allclose(got, [[1.0, 1.0]], atol=1e-6)


def test_class_indices_select_classes_in_order():
    layer, embeddings = _layer_and_inputs()
    full = keras.ops.convert_to_numpy(layer(embeddings))
    indices = np.array([4, 0, 5], "int32")
    subset = keras.ops.convert_to_numpy(layer(embeddings, class_indices=indices))
    np.testing.assert_allclose(subset, full[:, indices], atol=1e-7)


def test_cosines_stay_in_range_for_parallel_vectors():
    layer, _ = _layer_and_inputs(num_classes=2, dim=3)
    direction = np.array([0.3, -1.7, 2.9], "float32")
    layer.centers.assign(np.stack([direction, -direction])[:, None, :] * 1e-3)
    got = keras.ops.convert_to_numpy(layer(direction[None] * 1e4))
    assert got.max() <= 1.0 and got.min() >= -1.0
    np.testing.assert_allclose(got, [[1.0, -1.0]], atol=1e-6)


def test_float32_output_and_weights_under_mixed_float16(mixed_float16):
    layer = ArcFaceLayer(3)
    # Large fp16 embeddings: their squared norm (> 65504) would overflow in float16.
    embeddings = np.full((2, 8), 200.0, "float16")
    cosine = layer(embeddings)
    assert keras.backend.standardize_dtype(cosine.dtype) == "float32"
    assert keras.backend.standardize_dtype(layer.centers.dtype) == "float32"
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(cosine)))
    want = ref.cosines(embeddings.astype(np.float64), keras.ops.convert_to_numpy(layer.centers))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(cosine), want, atol=2e-3)  # fp16 matmul


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 0}, "`num_classes` must be an int >= 1; received 0"),
        ({"num_classes": 2.5}, "`num_classes` must be an int >= 1; received 2.5"),
        ({"num_classes": 4, "sub_centers": 0}, "`sub_centers` must be an int >= 1; received 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ArcFaceLayer(**kwargs)


def test_unknown_embedding_size_is_reported():
    message = r"known embedding size; received input shape \(None, None\)"
    with pytest.raises(ValueError, match=message):
        ArcFaceLayer(3).build((None, None))
