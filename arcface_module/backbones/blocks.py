"""Building blocks shared by the backbones, with PyTorch's (InsightFace's) conventions."""

import keras


def batch_norm(name, dtype=None):
    """BatchNormalization with PyTorch's defaults: eps 1e-5, momentum 0.1 (Keras' 0.9)."""
    return keras.layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name, dtype=dtype)


def prelu(name, dtype=None):
    """PReLU with one slope per channel, initialised at 0.25 like PyTorch's."""
    return keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(0.25),
        shared_axes=[1, 2],
        name=name,
        dtype=dtype,
    )


def conv(
    x,
    filters,
    kernel_size,
    name,
    strides=1,
    groups=1,
    pad=True,
    kernel_initializer="he_normal",
    dtype=None,
):
    """A bias-free convolution, zero-padded like PyTorch's `padding=(kernel_size - 1) // 2`.

    Keras' "same" padding pads strided convolutions on the bottom/right only; the explicit
    symmetric padding keeps the sampling grid of the PyTorch models. `pad=False`: no padding.
    """
    padding = (kernel_size - 1) // 2 if pad else 0
    if padding:
        x = keras.layers.ZeroPadding2D(padding, name=f"{name}_pad", dtype=dtype)(x)
    if groups > 1 and groups == filters == x.shape[-1]:
        # Same weights as a grouped Conv2D, but with TensorFlow's fast depthwise kernel on CPU.
        layer = keras.layers.DepthwiseConv2D(
            kernel_size,
            strides=strides,
            use_bias=False,
            depthwise_initializer=kernel_initializer,
            name=name,
            dtype=dtype,
        )
    else:
        layer = keras.layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            groups=groups,
            use_bias=False,
            kernel_initializer=kernel_initializer,
            name=name,
            dtype=dtype,
        )
    return layer(x)
