from arcface_module.losses.margin_loss import ArcFaceLoss, MarginLoss
from arcface_module.margin_softmax import (
    margin_logits,
    margin_softmax_cross_entropy,
    one_hot_targets,
)
