"""Config sections for preprocessing and training."""

import math

from pydantic import Field

from configs.base import Section


class TransformConfig(Section):
    """Image preprocessing, identical at training and at serving (it is part of the exported graph)."""

    image_size: int = Field(112, ge=16, le=1024)
    # insightface normalisation: (x / 255 - mean) / std.
    normalize_mean: float = 0.5
    normalize_std: float = Field(0.5, gt=0)


class TrainerConfig(Section):
    """The model and how it is trained."""

    backbone: str = "tiny"
    embedding_size: int = Field(128, ge=2)
    margin: float = Field(0.5, ge=0, lt=math.pi)
    scale: float = Field(64.0, gt=0)
    batch_size: int = Field(32, gt=0)
    train_steps: int = Field(200, gt=0)
    learning_rate: float = Field(1e-3, gt=0)
    seed: int = 0
