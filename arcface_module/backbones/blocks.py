"""Building blocks shared by the backbones, with PyTorch's (InsightFace's) conventions."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="arcface_module")
class GroupedConv2D(keras.layers.Conv2D):
    """A grouped `Conv2D` (channels last), computed as a depthwise convolution and a sum.

    Same configuration and weights as `keras.layers.Conv2D(..., groups=groups)`; only the
    computation differs. Keras runs grouped convolutions through XLA on CPU, whose gradient is
    very slow there: MobileFaceNet's grouped stem took about 14 s per 112x112 image per train
    step on 2 cores. Here each input channel is convolved with the kernels of every output of its
    group (one depthwise convolution), and each output sums its group's inputs.

    Example:

    >>> layer = GroupedConv2D(8, 3, groups=2, padding="same")
    >>> tuple(layer(keras.ops.ones([1, 5, 5, 4])).shape)
    (1, 5, 5, 8)
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data_format != "channels_last":
            raise ValueError(
                f"GroupedConv2D expects data_format='channels_last'; received {self.data_format!r}."
            )

    def convolution_op(self, inputs, kernel):
        rows, columns, group_inputs, filters = kernel.shape
        group_outputs = filters // self.groups
        # Input channel g * group_inputs + i meets kernel[..., i, g * group_outputs + j] for
        # every output j of its group g: the depthwise kernel is [rows, columns, channels, j].
        kernel = ops.reshape(kernel, (rows, columns, group_inputs, self.groups, group_outputs))
        kernel = ops.reshape(
            ops.transpose(kernel, (0, 1, 3, 2, 4)),
            (rows, columns, self.groups * group_inputs, group_outputs),
        )
        outputs = ops.depthwise_conv(
            inputs,
            kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        # Depthwise output channel (g * group_inputs + i) * group_outputs + j, summed over i.
        batch, height, width = ops.shape(outputs)[0], ops.shape(outputs)[1], ops.shape(outputs)[2]
        outputs = ops.reshape(
            outputs, (batch, height, width, self.groups, group_inputs, group_outputs)
        )
        return ops.reshape(ops.sum(outputs, axis=4), (batch, height, width, filters))


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
        layer = (GroupedConv2D if groups > 1 else keras.layers.Conv2D)(
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
