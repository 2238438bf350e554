"""ArcFace for Keras 3: margin heads and losses, Partial FC, face backbones.

Imports only keras, tensorflow and numpy; the TFX module functions (`preprocessing`,
`training`) are separate modules, never imported here.
"""

from arcface_module.backbones import get_backbone
from arcface_module.layers import (
    AdaFaceMargin,
    ArcFaceLayer,
    CombinedMargin,
    MarginHead,
    get_margin,
)
from arcface_module.losses import ArcFaceLoss, MarginLoss
from arcface_module.models import embedding_model, training_model

__all__ = [
    "AdaFaceMargin",
    "ArcFaceLayer",
    "ArcFaceLoss",
    "CombinedMargin",
    "MarginHead",
    "MarginLoss",
    "embedding_model",
    "get_backbone",
    "get_margin",
    "training_model",
]
