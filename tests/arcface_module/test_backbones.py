"""Backbones: InsightFace's parameter counts (build only), shapes, dtypes and argument errors."""

import keras
import numpy as np
import pytest

from arcface_module import get_backbone

# arcface_torch's `sum(p.numel() for p in model.parameters())` with num_features=512: BatchNorm
# gamma/beta and PReLU slopes counted, BatchNorm running statistics not.
INSIGHTFACE_PARAMETERS = {
    "mbf": 2_059_520,
    "r18": 24_025_600,
    "r34": 34_139_328,
    "r50": 43_590_848,
    "r100": 65_156_160,
}


@pytest.mark.parametrize("name", INSIGHTFACE_PARAMETERS)
def test_parameter_counts_equal_insightface(name):
    backbone = get_backbone(name, num_features=512)
    trainable = sum(int(np.prod(w.shape)) for w in backbone.trainable_weights)
    assert trainable == INSIGHTFACE_PARAMETERS[name]
    # Everything else is BatchNorm running statistics.
    assert all("moving_" in w.path for w in backbone.non_trainable_weights)
    assert backbone.input_shape == (None, 112, 112, 3)
    assert backbone.output_shape == (None, 512)


def _kernels(backbone, *layer_names):
    return [keras.ops.convert_to_numpy(backbone.get_layer(name).weights[0]) for name in layer_names]


# Two convolutions of the same shape in each: a shared initializer started them equal.
SAME_SHAPE_CONVOLUTIONS = {
    "mbf": ("stage1_0_expand_conv", "stage1_1_expand_conv"),
    "r18": ("layer1_0_conv1", "layer1_0_conv2"),
}


@pytest.mark.parametrize("name", SAME_SHAPE_CONVOLUTIONS)
def test_initial_weights_differ_per_layer_and_follow_the_global_seed(name):
    keras.utils.set_random_seed(7)
    first = get_backbone(name, num_features=64)
    one, other = _kernels(first, *SAME_SHAPE_CONVOLUTIONS[name])
    assert one.shape == other.shape
    assert not np.array_equal(one, other)
    keras.utils.set_random_seed(7)
    again = get_backbone(name, num_features=64)
    for weight, repeated in zip(first.weights, again.weights):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(weight), keras.ops.convert_to_numpy(repeated), weight.path
        )
    keras.utils.set_random_seed(8)
    (reseeded,) = _kernels(get_backbone(name, num_features=64), SAME_SHAPE_CONVOLUTIONS[name][0])
    assert not np.array_equal(one, reseeded)


@pytest.mark.parametrize(
    "name, input_shape",
    [("tiny", (32, 32, 3)), ("tiny", (112, 112, 3)), ("tiny_flat", (64, 64, 3)), ("mbf", (97, 97, 3))],
)
def test_forward_pass_gives_float32_embeddings(name, input_shape):
    backbone = get_backbone(name, num_features=64, input_shape=input_shape)
    images = np.random.default_rng(0).uniform(-1, 1, (2, *input_shape)).astype("float32")
    embeddings = keras.ops.convert_to_numpy(backbone(images, training=False))
    assert embeddings.shape == (2, 64) and embeddings.dtype == np.float32
    assert np.all(np.isfinite(embeddings))


@pytest.mark.parametrize("name", ["tiny", "tiny_flat", "mbf", "r18"])
def test_embedding_is_float32_under_mixed_float16(name, mixed_float16):
    backbone = get_backbone(name, num_features=128)
    assert backbone.output.dtype == "float32"
    assert any(layer.compute_dtype == "float16" for layer in backbone.layers)


def test_pytorch_style_padding_halves_odd_sizes_upwards():
    # PyTorch's conv(k=3, s=2, p=1) maps 33 -> 17 (Keras "valid" would give 16).
    backbone = get_backbone("tiny", num_features=8, input_shape=(33, 33, 3))
    assert backbone.get_layer("block0_conv").output.shape[1:3] == (17, 17)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "r200"}, r"Unknown backbone 'r200'; expected one of \['mbf', 'r100', 'r18'"),
        ({"name": "tiny", "num_features": 0}, "`num_features` must be an int >= 1; received 0"),
        (
            {"name": "tiny", "input_shape": (32, 32)},
            r"`input_shape` must be \(height, width, channels\)",
        ),
        (
            {"name": "mbf", "input_shape": (96, 96, 3)},
            r"at least 97x97 pixels.*received input_shape=\(96, 96, 3\)",
        ),
        (
            {"name": "tiny", "input_shape": (8, 8, 3)},
            r"at least 16x16 pixels; received input_shape=\(8, 8, 3\)",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_backbone(**kwargs)
