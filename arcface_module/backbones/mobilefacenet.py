"""MobileFaceNet, InsightFace's "mbf" (arcface_torch backbones/mobilefacenet.py, scale 2)."""

import keras

from arcface_module.backbones.blocks import batch_norm, conv, prelu
from arcface_module.catalog import MBF_MIN_INPUT_SIZE


def _conv_init():
    """Kaiming normal with fan-out, as InsightFace initialises MobileFaceNet's convolutions.

    A fresh initializer per layer: a Keras initializer draws its seed once, when created (from
    Python's `random`, which `keras.utils.set_random_seed` seeds), so one shared instance would
    start every convolution of the same shape with the same weights.
    """
    return keras.initializers.VarianceScaling(2.0, mode="fan_out", distribution="untruncated_normal")


def _conv_block(
    x, filters, kernel_size, name, strides=1, groups=1, pad=True, activation=True, dtype=None
):
    """Conv-BN-PReLU (InsightFace's ConvBlock), or Conv-BN without activation (LinearBlock)."""
    x = conv(x, filters, kernel_size, f"{name}_conv", strides, groups, pad, _conv_init(), dtype)
    x = batch_norm(f"{name}_bn", dtype)(x)
    return prelu(f"{name}_prelu", dtype)(x) if activation else x


def _depthwise(x, filters, expansion, name, strides=1, residual=False):
    """InsightFace's DepthWise: 1x1 expand, 3x3 depthwise, 1x1 linear projection."""
    y = _conv_block(x, expansion, 1, f"{name}_expand")
    y = _conv_block(y, expansion, 3, f"{name}_depthwise", strides, groups=expansion)
    y = _conv_block(y, filters, 1, f"{name}_project", activation=False)
    return keras.layers.Add(name=f"{name}_add")([x, y]) if residual else y


def _residual(x, blocks, expansion, name):
    for block in range(blocks):
        x = _depthwise(x, x.shape[-1], expansion, f"{name}_{block}", residual=True)
    return x


def mobilefacenet(num_features, input_shape):
    """Builds MobileFaceNet ("mbf"): images -> `num_features` embedding.

    The global depthwise convolution (GDC) is 7x7, so inputs need at least `MBF_MIN_INPUT_SIZE` (97)
    pixels a side (a 7x7 map after four stride-2 stages). Under a mixed-precision policy the
    layers after the last stage run in float32, as in InsightFace's `fp16` mode.
    """
    if min(input_shape[:2]) < MBF_MIN_INPUT_SIZE:
        raise ValueError(
            f"mbf needs inputs of at least {MBF_MIN_INPUT_SIZE}x{MBF_MIN_INPUT_SIZE} pixels (its 7x7 global "
            "depthwise convolution runs at 1/16 of the input size); "
            f"received input_shape={tuple(input_shape)}."
        )
    images = keras.Input(input_shape, name="images")
    x = _conv_block(images, 128, 3, "stem", strides=2)
    x = _conv_block(x, 128, 3, "stem_grouped", groups=64)
    x = _depthwise(x, 128, 128, "down1", strides=2)
    x = _residual(x, 4, 128, "stage1")
    x = _depthwise(x, 256, 256, "down2", strides=2)
    x = _residual(x, 6, 256, "stage2")
    x = _depthwise(x, 256, 512, "down3", strides=2)
    x = _residual(x, 2, 256, "stage3")
    x = _conv_block(x, 512, 1, "conv_sep", dtype="float32")
    x = _conv_block(x, 512, 7, "gdc", groups=512, pad=False, activation=False, dtype="float32")
    x = keras.layers.Flatten(name="flatten", dtype="float32")(x)
    x = keras.layers.Dense(num_features, use_bias=False, name="fc", dtype="float32")(x)
    embeddings = batch_norm("features", "float32")(x)
    return keras.Model(images, embeddings, name="mobilefacenet")
