import math

import keras
import numpy as np
from keras import ops

# The smallest normal float32: sqrt(max(x, _TINY)) equals sqrt(x) wherever x is a representable
# non-zero 1 - cos^2, yet has a zero (not infinite) gradient at cos = +/-1.
_TINY = float(np.finfo("float32").tiny)


@keras.saving.register_keras_serializable(package="arcface_module")
class CombinedMargin(keras.layers.Layer):
    """The combined angular margin `cos(m1 * theta + m2) - m3` on the target class.

    `theta` is the angle between an embedding and its own class center. One formula covers
    SphereFace (`m1`), ArcFace (`m2`), CosFace (`m3`) and their combinations (InsightFace's
    "combined margin"). The layer maps the target cosine `cos(theta)` to the margin-penalised
    cosine; the non-target cosines are left alone by the losses and heads that use it.

    The penalty is monotonic in `theta` only while `m1 * theta + m2 <= pi`. Beyond that angle,
    `theta_max = (pi - m2) / m1`, two fallbacks are available, as in InsightFace's ArcFace:
    - by default (`easy_margin=False`), past `theta_max` the target becomes
      `cos(theta) - mm - m3` with `mm = sin(pi - theta_max) * (pi - theta_max)`, InsightFace's
      `th`/`mm` rule (for ArcFace, `th = cos(pi - m)` and `mm = sin(pi - m) * m`);
    - with `easy_margin=True` the margin applies only where `cos(theta) > 0` and the target
      is left as `cos(theta)` elsewhere (this needs `theta_max >= pi / 2`).

    Everything is computed in float32, whatever the dtype policy.

    Args:
        m1: multiplicative angular margin (SphereFace), > 0. 1 means none.
        m2: additive angular margin in radians (ArcFace), in [0, pi). 0 means none.
        m3: additive cosine margin (CosFace), >= 0. 0 means none.
        easy_margin: use the `cos(theta) > 0` fallback instead of the `th`/`mm` one.

    Example:

    >>> arcface = CombinedMargin(m2=0.5)
    >>> print(keras.ops.convert_to_numpy(arcface(np.array([1.0, 0.0]))).round(4))
    [ 0.8776 -0.4794]
    """

    def __init__(self, m1=1.0, m2=0.0, m3=0.0, easy_margin=False, **kwargs):
        # Margins are applied to float32 cosines even under a mixed-precision policy.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if not m1 > 0:
            raise ValueError(f"`m1` must be > 0; received m1={m1}.")
        if not 0 <= m2 < math.pi:
            raise ValueError(f"`m2` must be in [0, pi); received m2={m2}.")
        if not m3 >= 0:
            raise ValueError(f"`m3` must be >= 0; received m3={m3}.")
        self.m1 = float(m1)
        self.m2 = float(m2)
        self.m3 = float(m3)
        self.easy_margin = bool(easy_margin)
        theta_max = (math.pi - self.m2) / self.m1
        if self.easy_margin and theta_max < math.pi / 2:
            raise ValueError(
                "`easy_margin=True` needs (pi - m2) / m1 >= pi / 2, so that the margin is "
                f"monotonic wherever cos(theta) > 0; received m1={m1}, m2={m2}."
            )
        if theta_max < math.pi:
            self._threshold = math.cos(theta_max)
            overshoot = math.pi - theta_max
            self._fallback_penalty = math.sin(overshoot) * overshoot + self.m3
        else:  # m1 * theta + m2 never passes pi: no fallback region.
            self._threshold = -math.inf
            self._fallback_penalty = 0.0

    def call(self, target_cosine, feature_norms=None):
        """Returns the margin-penalised target cosine.

        Args:
            target_cosine: cosine between each embedding and its class center, shape (batch,).
            feature_norms: ignored; accepted so that every margin layer has one signature.
        """
        cosine = ops.clip(ops.cast(target_cosine, "float32"), -1.0, 1.0)
        sine = ops.sqrt(ops.maximum(1.0 - ops.square(cosine), _TINY))
        theta = ops.arctan2(sine, cosine)  # arccos with a finite gradient at +/-1
        penalised = ops.cos(self.m1 * theta + self.m2) - self.m3
        if self.easy_margin:
            return ops.where(cosine > 0.0, penalised, cosine)
        return ops.where(cosine > self._threshold, penalised, cosine - self._fallback_penalty)

    def get_config(self):
        return {
            **super().get_config(),
            "m1": self.m1,
            "m2": self.m2,
            "m3": self.m3,
            "easy_margin": self.easy_margin,
        }
