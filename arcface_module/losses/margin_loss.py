import keras

from arcface_module.catalog import MARGIN_DEFAULTS, SCALE
from arcface_module.layers.combined_margin import CombinedMargin
from arcface_module.layers.margins import get_margin
from arcface_module.margin_softmax import margin_softmax_cross_entropy, one_hot_targets


@keras.saving.register_keras_serializable(package="arcface_module")
class MarginLoss(keras.losses.Loss):
    """Margin softmax loss on the cosines of an `ArcFaceLayer`: ArcFace, CosFace, SphereFace...

    `y_pred` are the `(batch, num_classes)` cosines of `ArcFaceLayer`; the margin penalises the
    target class' cosine, every cosine is multiplied by `scale`, and the loss is the softmax
    cross-entropy, computed in float32. `y_true` are class indices of shape `(batch,)` or
    `(batch, 1)`, or one-hot labels of shape `(batch, num_classes)`.

    Works in `model.compile(loss=...)` and called directly in a custom training loop. AdaFace
    needs the embedding norms, which the cosines no longer carry: use
    `MarginHead(margin="adaface")` for it.

    Args:
        margin: a margin name ("arcface", "cosface", "sphereface", "combined", with their
            default parameters) or a `CombinedMargin` layer.
        scale: the scale `s` of the cosines, > 0.

    Example:

    >>> loss = MarginLoss(get_margin("cosface", margin=0.35), scale=30.0)
    >>> cosines = np.array([[0.9, 0.1], [0.2, 0.7]], "float32")
    >>> print(round(float(loss([0, 1], cosines)), 4))
    0.0055
    """

    def __init__(self, margin="arcface", scale=SCALE, name="margin_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(margin, str):
            margin = get_margin(margin)
        if not isinstance(margin, CombinedMargin):
            raise ValueError(
                "`margin` must be a margin name or a CombinedMargin layer (AdaFace needs the "
                "embedding norms: use MarginHead(margin='adaface')); "
                f"received {margin!r}."
            )
        if not scale > 0:
            raise ValueError(f"`scale` must be > 0; received scale={scale}.")
        self.margin = margin
        self.scale = float(scale)

    def call(self, y_true, y_pred):
        targets = one_hot_targets(y_true, y_pred.shape[-1])
        return margin_softmax_cross_entropy(y_pred, targets, self.margin, self.scale)

    def get_config(self):
        return {
            **super().get_config(),
            "margin": keras.layers.serialize(self.margin),
            "scale": self.scale,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["margin"] = keras.layers.deserialize(config["margin"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="arcface_module")
class ArcFaceLoss(MarginLoss):
    """ArcFace's additive angular margin loss: `s * cos(theta + m)` on the target class.

    The loss to compile a model ending with `ArcFaceLayer` with. Past `theta = pi - m`, where
    `cos(theta + m)` stops decreasing, the target falls back to InsightFace's
    `cos(theta) - m * sin(m)`, or with `easy_margin=True` the margin applies only where
    `cos(theta) > 0` (see `CombinedMargin`).

    Args:
        margin: the angular margin m, in radians.
        scale: the scale s.
        easy_margin: InsightFace's `easy_margin` fallback.

    Example:

    >>> backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    >>> model = keras.Sequential([backbone, arcface_module.ArcFaceLayer(num_classes=4)])
    >>> model.compile(optimizer="adam", loss=ArcFaceLoss(margin=0.5, scale=64.0))
    >>> history = model.fit(np.zeros((8, 32, 32, 3)), np.arange(8) % 4, verbose=0)
    """

    def __init__(
        self,
        margin=MARGIN_DEFAULTS["arcface"]["margin"],
        scale=SCALE,
        easy_margin=MARGIN_DEFAULTS["arcface"]["easy_margin"],
        name="arcface_loss",
        **kwargs,
    ):
        super().__init__(
            margin=get_margin("arcface", margin=margin, easy_margin=easy_margin),
            scale=scale,
            name=name,
            **kwargs,
        )

    def get_config(self):
        return {
            **keras.losses.Loss.get_config(self),
            "margin": self.margin.m2,
            "scale": self.scale,
            "easy_margin": self.margin.easy_margin,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
