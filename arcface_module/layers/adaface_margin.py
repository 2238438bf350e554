import math

import keras
from keras import ops

# AdaFace's own constant: cosines are kept this far from +/-1 before arccos, and the penalised
# angle this far from 0 and pi.
_EPSILON = 1e-3


@keras.saving.register_keras_serializable(package="arcface_module")
class AdaFaceMargin(keras.layers.Layer):
    """AdaFace's margin, adapted to each sample by its feature norm (Kim et al., CVPR 2022).

    The norm of an embedding (before L2 normalisation) is a proxy for image quality. It is
    standardised with running statistics of the batch norms and turned into
    `scaler = clip(concentration * (norm - mean) / (std + 1e-3), -1, 1)`; the target cosine then
    becomes `cos(clip(theta - margin * scaler, 1e-3, pi - 1e-3)) - (margin + margin * scaler)`
    with `theta = arccos(clip(cos_theta, -1 + 1e-3, 1 - 1e-3))`. High-quality samples get an
    ArcFace-like angular margin, low-quality ones a CosFace-like margin, as in the reference
    implementation. Norms are treated as constants (no gradient flows through the scaler).

    The running statistics start at mean 20, std 100 (as the reference) and are updated only when
    the layer is called with `training=True`. Computed in float32 whatever the dtype policy.

    Args:
        margin: AdaFace's `m`, > 0.
        concentration: AdaFace's `h`: how much of the standardised norm range maps into
            [-1, 1]; 0.333 puts about 68% of the samples inside (-0.333, 0.333).
        momentum: weight of the old statistics in each update, Keras-style; AdaFace's `t_alpha`
            is `1 - momentum`.

    Example:

    >>> adaface = AdaFaceMargin(margin=0.4)
    >>> cosines = np.array([0.9, 0.5], "float32")
    >>> norms = np.array([30.0, 10.0], "float32")
    >>> tuple(adaface(cosines, feature_norms=norms, training=True).shape)
    (2,)
    """

    def __init__(self, margin=0.4, concentration=0.333, momentum=0.99, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if not margin > 0:
            raise ValueError(f"`margin` must be > 0; received margin={margin}.")
        if not concentration > 0:
            raise ValueError(
                f"`concentration` must be > 0; received concentration={concentration}."
            )
        if not 0 <= momentum < 1:
            raise ValueError(f"`momentum` must be in [0, 1); received momentum={momentum}.")
        self.margin = float(margin)
        self.concentration = float(concentration)
        self.momentum = float(momentum)

    def build(self, input_shape):
        def statistic(name, value):
            return self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(value),
                dtype="float32",
                trainable=False,
                autocast=False,
                name=name,
            )

        self.norm_mean = statistic("norm_mean", 20.0)
        self.norm_std = statistic("norm_std", 100.0)

    def call(self, target_cosine, feature_norms=None, training=False):
        """Returns the margin-penalised target cosine.

        Args:
            target_cosine: cosine between each embedding and its class center, shape (batch,).
            feature_norms: L2 norm of each embedding before normalisation, shape (batch,).
            training: update the running norm statistics with this batch.
        """
        if feature_norms is None:
            raise ValueError(
                "AdaFaceMargin needs `feature_norms`, the embedding norms before L2 "
                "normalisation, shape (batch,); received None."
            )
        norms = ops.stop_gradient(ops.clip(ops.cast(feature_norms, "float32"), 1e-3, 100.0))
        if training:
            self._update_statistics(norms)
        scaler = (norms - self.norm_mean) / (self.norm_std + _EPSILON)
        scaler = ops.clip(scaler * self.concentration, -1.0, 1.0)
        cosine = ops.clip(ops.cast(target_cosine, "float32"), -1.0 + _EPSILON, 1.0 - _EPSILON)
        theta = ops.clip(
            ops.arccos(cosine) - self.margin * scaler, _EPSILON, math.pi - _EPSILON
        )
        return ops.cos(theta) - (self.margin + self.margin * scaler)

    def _update_statistics(self, norms):
        count = ops.cast(ops.shape(norms)[0], "float32")
        mean = ops.mean(norms)
        # Unbiased, as torch.std in the reference; a batch of one has no spread to measure.
        std = ops.sqrt(ops.sum(ops.square(norms - mean)) / ops.maximum(count - 1.0, 1.0))
        self.norm_mean.assign(self.momentum * self.norm_mean + (1.0 - self.momentum) * mean)
        self.norm_std.assign(self.momentum * self.norm_std + (1.0 - self.momentum) * std)

    def get_config(self):
        return {
            **super().get_config(),
            "margin": self.margin,
            "concentration": self.concentration,
            "momentum": self.momentum,
        }
