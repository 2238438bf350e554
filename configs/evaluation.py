"""Config sections for evaluation, blessing and pushing."""

from pathlib import Path

from pydantic import Field

from configs.base import Section


class EvaluatorConfig(Section):
    """Pair verification on the eval identities, and the blessing policy."""

    min_verification_accuracy: float = Field(0.7, ge=0, le=1)
    max_positive_pairs: int = Field(3000, gt=0)
    seed: int = 0


class PusherConfig(Section):
    """Where blessed models are published."""

    serving_dir: Path
