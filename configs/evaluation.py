"""Config sections for evaluation, blessing and pushing."""

from typing import Annotated, Dict, Literal, Optional

from pydantic import Field

from components.embedding_evaluator.catalog import COMPARABLE_METRICS, FARS, MIN_VERIFICATION_ACCURACY
from configs.base import Location, Section

# The false-accept rates at which the evaluator reports the true-accept rate.
FarKey = Literal[tuple(FARS)]
# Metrics a model can be compared on with its predecessor; for `eer` lower is better, else higher.
ComparableMetric = Literal[COMPARABLE_METRICS]
Rate = Annotated[float, Field(ge=0, le=1)]


class PairsConfig(Section):
    """An external verification-pairs set: pair records (`python -m face_data bin|lfw-pairs`)."""

    input_base: Location
    file_pattern: str = "*.tfrecord*"


class EvaluatorConfig(Section):
    """Verification on identities the model never saw, and the blessing policy.

    Pairs come from the eval split (every same-identity pair up to `max_positive_pairs`, as many
    different-identity pairs, drawn by `seed`) unless `pairs` names an external pairs set.
    A model is blessed when it meets every absolute threshold and, once a blessed model exists, is
    not worse than the latest blessed one by more than `max_regression_from_blessed` (both models
    are scored on the same pairs in the same run).
    """

    min_verification_accuracy: float = Field(MIN_VERIFICATION_ACCURACY, ge=0, le=1)
    # FAR -> least TAR there; a FAR the pairs cannot measure (too few negatives) fails the check.
    min_tar_at_far: Dict[FarKey, Rate] = {}
    # metric -> the largest loss tolerated against the latest blessed model (0: no worse).
    max_regression_from_blessed: Dict[ComparableMetric, float] = {}
    max_positive_pairs: int = Field(3000, gt=0)
    seed: int = 0
    pairs: Optional[PairsConfig] = None


class PusherConfig(Section):
    """Where blessed models are published: `<serving_dir>/<model_name>/<version>/` (TF Serving layout)."""

    serving_dir: Location
    model_name: str = Field("arcface", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    keep_versions: int = Field(3, ge=1)
