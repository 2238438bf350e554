"""Building blocks shared by the backbones, with PyTorch's (InsightFace's) conventions."""

import os

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="arcface_module")
class GroupedConv2D(keras.layers.Conv2D):
    """A grouped `Conv2D` (channels last), computed without XLA.

    Same configuration and weights as `keras.layers.Conv2D(..., groups=groups)`; only the
    computation differs. Keras runs grouped convolutions through XLA on CPU, whose gradient is
    very slow there: MobileFaceNet's grouped stem took about 14 s per 112x112 image per train
    step on 2 cores. With TensorFlow's oneDNN kernels (`native_grouped_convolution()`) the
    convolution runs as one grouped convolution, gradients included. Otherwise each input channel
    is convolved with the kernels of every output of its group (one depthwise convolution), and
    each output sums its group's inputs: about half as fast as oneDNN's grouped kernel (mbf's
    128-channel, 64-group stem at 56x56, batch 64, forward and backward: 3.7 s against 1.9 s).

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
        if native_grouped_convolution():
            import tensorflow as tf

            return tf.nn.convolution(
                inputs, kernel, self.strides, self.padding.upper(), dilations=self.dilation_rate
            )
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


@keras.saving.register_keras_serializable(package="arcface_module")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`BatchNormalization` whose training step runs TensorFlow's fused kernel on image batches.

    Same configuration, weights and function as Keras' layer, whose training step computes the
    moments and the normalisation with about a dozen separate ops and gradients; TensorFlow's
    `FusedBatchNormV3` does it in one pass, 3.2x faster forward and backward on a 64x56x56x128
    batch on 2 cores. Inference, other ranks, masks, synchronised or renormalised statistics and
    other backends run Keras' own computation.

    Example:

    >>> layer = FusedBatchNormalization(epsilon=1e-5, momentum=0.9)
    >>> tuple(layer(keras.ops.ones([2, 4, 4, 3]), training=True).shape)
    (2, 4, 4, 3)
    """

    def call(self, inputs, training=None, mask=None):
        fusable = (
            training
            and self.trainable
            and mask is None
            and not (self.synchronized or self.renorm)
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and keras.backend.backend() == "tensorflow"
            and keras.backend.result_type(inputs.dtype, "float32") == "float32"
        )
        if not fusable:
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        # As Keras' layer: statistics in float32 whatever the compute dtype.
        inputs = ops.cast(inputs, "float32")
        channels = inputs.shape[-1]
        gamma = ops.cast(self.gamma, "float32") if self.scale else ops.ones([channels])
        beta = ops.cast(self.beta, "float32") if self.center else ops.zeros([channels])
        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, gamma, beta, epsilon=self.epsilon, is_training=True
        )
        # The kernel returns the unbiased batch variance; Keras' moving average takes the biased one.
        count = ops.cast(ops.size(inputs) // channels, "float32")
        variance = variance * (count - 1.0) / count
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(ops.cast(moving, "float32") * self.momentum + batch * (1.0 - self.momentum))
        return ops.cast(outputs, self.compute_dtype)


def onednn_enabled():
    """Whether TensorFlow runs its oneDNN kernels in this process (False on other backends).

    TensorFlow decides once, when it loads: on by default on x86 CPUs with AVX-512-class
    features; `TF_ENABLE_ONEDNN_OPTS=1` or `=0` set beforehand decides on any CPU (the project's
    command lines and environments set `=1`, see console/quiet.py).
    """
    if keras.backend.backend() != "tensorflow":
        return False
    # No public API tells whether oneDNN is on; this is what TensorFlow's own tests ask.
    from tensorflow.python.util import _pywrap_util_port

    return _pywrap_util_port.IsMklEnabled()


def native_grouped_convolution():
    """Whether grouped convolutions run as such: on TensorFlow with its oneDNN kernels.

    TensorFlow's own CPU kernels have no gradient for grouped convolutions; oneDNN's have.
    """
    return onednn_enabled()


def kernels():
    """The kernels the backbones train with in this process, and the switch that chose them.

    `TF_ENABLE_ONEDNN_OPTS` is the variable's value when asked ("unset" if it is not set);
    TensorFlow read it when it loaded, which `onednn` reflects.

    Example:

    >>> sorted(kernels())
    ['TF_ENABLE_ONEDNN_OPTS', 'batch_norm_training', 'grouped_convolution', 'onednn']
    """
    return {
        "batch_norm_training": "fused" if keras.backend.backend() == "tensorflow" else "keras",
        "grouped_convolution": "onednn" if native_grouped_convolution() else "depthwise_sum",
        "onednn": "on" if onednn_enabled() else "off",
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset"),
    }


def batch_norm(name, dtype=None):
    """BatchNormalization with PyTorch's defaults: eps 1e-5, momentum 0.1 (Keras' 0.9)."""
    return FusedBatchNormalization(epsilon=1e-5, momentum=0.9, name=name, dtype=dtype)


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
