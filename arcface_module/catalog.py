"""What the library builds by name, and the defaults it builds with; imports no Keras or TensorFlow.

The one definition of these lists: `get_backbone` and `get_margin` build from them, and the
pipeline's configs (`configs/model.py`) validate names and fill in defaults from them without
loading TensorFlow (`tests/architecture` fails on a copy elsewhere).

Example:

>>> "r50" in BACKBONES, MARGIN_DEFAULTS["sphereface"]
(True, {'margin': 1.35})
"""

# IResNet depth -> residual blocks per stage (arcface_torch backbones/iresnet.py).
IRESNET_BLOCKS = {
    "r18": (2, 2, 2, 2),
    "r34": (3, 4, 6, 3),
    "r50": (3, 4, 14, 3),
    "r100": (3, 13, 30, 3),
}
# "tiny", "tiny_flat": small CNNs for tests and demos; "mbf": MobileFaceNet (`get_backbone`).
BACKBONES = ("tiny", "tiny_flat", "mbf", *IRESNET_BLOCKS)
# MobileFaceNet's global depthwise convolution is 7x7 on a map of 1/16 of the input.
MBF_MIN_INPUT_SIZE = 97

# Margin name -> its parameters and their defaults: ArcFace m=0.5, CosFace m=0.4 (InsightFace's),
# SphereFace m=1.35 and the combined (1.0, 0.3, 0.2) as in the ArcFace paper's comparisons,
# AdaFace's paper values (`concentration` is AdaFace's h, `momentum` 1 - its t_alpha).
MARGIN_DEFAULTS = {
    "arcface": {"margin": 0.5, "easy_margin": False},
    "cosface": {"margin": 0.4},
    "sphereface": {"margin": 1.35},
    "combined": {"m1": 1.0, "m2": 0.3, "m3": 0.2, "easy_margin": False},
    "adaface": {"margin": 0.4, "concentration": 0.333, "momentum": 0.99},
}
MARGINS = tuple(MARGIN_DEFAULTS)
# Margins that vanish at 0 (SphereFace multiplies the angle by it, AdaFace scales it by quality):
# they need margin > 0.
POSITIVE_MARGINS = ("sphereface", "adaface")
# The logits' scale s in s * cos(theta + m) (insightface's 64).
SCALE = 64.0
# The aligned face crop insightface's models take: FACE_SIZE x FACE_SIZE pixels.
FACE_SIZE = 112
