"""IResNet, InsightFace's improved ResNet for 112x112 faces (arcface_torch backbones/iresnet.py)."""

import keras

from arcface_module.backbones.blocks import batch_norm, conv, prelu
from arcface_module.catalog import IRESNET_BLOCKS


def _conv_init():
    """InsightFace's normal(0, 0.1) for every convolution (BatchNorm follows each one).

    A fresh initializer per layer: a Keras initializer draws its seed once, when created (from
    Python's `random`, which `keras.utils.set_random_seed` seeds), so one shared instance would
    start every convolution of the same shape with the same weights.
    """
    return keras.initializers.RandomNormal(stddev=0.1)


def _basic_block(x, filters, strides, name):
    """IBasicBlock: BN-conv-BN-PReLU-conv(strided)-BN, plus a projected shortcut if needed."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = conv(
            x, filters, 1, f"{name}_downsample_conv", strides, kernel_initializer=_conv_init()
        )
        shortcut = batch_norm(f"{name}_downsample_bn")(shortcut)
    y = batch_norm(f"{name}_bn1")(x)
    y = conv(y, filters, 3, f"{name}_conv1", kernel_initializer=_conv_init())
    y = batch_norm(f"{name}_bn2")(y)
    y = prelu(f"{name}_prelu")(y)
    y = conv(y, filters, 3, f"{name}_conv2", strides, kernel_initializer=_conv_init())
    y = batch_norm(f"{name}_bn3")(y)
    return keras.layers.Add(name=f"{name}_add")([y, shortcut])


def iresnet(depth, num_features, input_shape):
    """Builds IResNet-`depth` ("r18", "r34", "r50", "r100"): images -> `num_features` embedding.

    Under a mixed-precision policy the final fully connected layer and the feature BatchNorm
    run in float32, as InsightFace's `fp16` mode does, so the embedding is float32.
    """
    images = keras.Input(input_shape, name="images")
    x = conv(images, 64, 3, "conv1", kernel_initializer=_conv_init())
    x = batch_norm("bn1")(x)
    x = prelu("prelu")(x)
    for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), IRESNET_BLOCKS[depth]), 1):
        for block in range(blocks):
            x = _basic_block(x, filters, 2 if block == 0 else 1, f"layer{stage}_{block}")
    x = batch_norm("bn2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(num_features, dtype="float32", name="fc")(x)
    # InsightFace freezes this BatchNorm's gamma at 1; here it trains (512 parameters) so the
    # trainable parameter counts equal InsightFace's `parameters()` counts.
    embeddings = batch_norm("features", dtype="float32")(x)
    return keras.Model(images, embeddings, name=f"iresnet{depth[1:]}")
