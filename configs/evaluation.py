"""Config sections for evaluation, blessing and pushing."""

from typing import Annotated, Dict, List, Literal, Optional

import pydantic
from pydantic import Field

from components.embedding_evaluator.catalog import (
    COMPARABLE_METRICS,
    EVAL_PAIRS,
    FARS,
    MIN_VERIFICATION_ACCURACY,
    VERIFICATION_METRICS,
)
from configs.base import Location, Section
from serving.formats import FORMATS

# The false-accept rates at which the evaluator reports the true-accept rate.
FarKey = Literal[tuple(FARS)]
# Metrics a model can be compared on with its predecessor: on a named set its verification
# metrics, on the eval split identification as well; for `eer` lower is better, else higher.
VerificationMetric = Literal[VERIFICATION_METRICS]
ComparableMetric = Literal[COMPARABLE_METRICS]
Rate = Annotated[float, Field(ge=0, le=1)]
SetName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class PairsConfig(Section):
    """A named verification-pairs set: pair records (`python -m face_data bin|lfw-pairs`),
    and what a model must achieve on it to be blessed (as the eval split's thresholds)."""

    input_base: Location
    file_pattern: str = "*.tfrecord*"
    min_verification_accuracy: Rate = 0.0
    min_tar_at_far: Dict[FarKey, Rate] = {}
    max_regression_from_blessed: Dict[VerificationMetric, float] = {}


class OperatingPointConfig(Section):
    """The threshold shipped with the model (`verification.json`), which `compare` decides by.

    `criterion: far` (the default) chooses the lowest threshold whose false-accept rate on the
    `pairs` is at most `far`; the pairs must hold at least 1/far different-identity pairs, or
    the model is not blessed (the message says how many are needed). `criterion: best_accuracy`
    chooses the most accurate threshold on balanced pairs instead.
    """

    criterion: Literal["far", "best_accuracy"] = "far"
    far: float = Field(1e-3, gt=0, lt=1)
    pairs: SetName = EVAL_PAIRS  # "eval", or a name in evaluator.pairs

    @property
    def target_far(self) -> Optional[float]:
        """The FAR to choose the threshold for; None for the most accurate threshold."""
        return self.far if self.criterion == "far" else None


class EvaluatorConfig(Section):
    """Verification on identities the model never saw, and the blessing policy.

    Pairs come from the eval split (every same-identity pair up to `max_positive_pairs`, as many
    different-identity pairs, drawn by `seed`), and from each named set in `pairs`
    (`{lfw: {input_base: ...}, cfp_fp: {...}}`), each scored and judged on its own.
    A model is blessed when it meets every absolute threshold (the eval split's here, each set's
    in its section, `min_tar_at_operating_point` at the shipped threshold) and, once a blessed
    model exists, is not worse than the latest blessed one by more than
    `max_regression_from_blessed` (both models are scored on the same pairs in the same run).
    The former single `pairs: {input_base: ...}` still reads, as a set named `pairs`.
    """

    min_verification_accuracy: float = Field(MIN_VERIFICATION_ACCURACY, ge=0, le=1)
    # FAR -> least TAR there; a FAR the pairs cannot measure (too few negatives) fails the check.
    min_tar_at_far: Dict[FarKey, Rate] = {}
    # metric -> the largest loss tolerated against the latest blessed model (0: no worse).
    max_regression_from_blessed: Dict[ComparableMetric, float] = {}
    max_positive_pairs: int = Field(3000, gt=0)
    seed: int = 0
    operating_point: OperatingPointConfig = OperatingPointConfig()
    min_tar_at_operating_point: Optional[Rate] = None
    pairs: Dict[SetName, PairsConfig] = {}

    @pydantic.field_validator("pairs", mode="before")
    @classmethod
    def _one_unnamed_set(cls, pairs):
        # The former single set, {input_base: ..., file_pattern: ...}, becomes the set "pairs".
        if isinstance(pairs, dict) and isinstance(pairs.get("input_base"), str):
            return {"pairs": pairs}
        return pairs

    @pydantic.model_validator(mode="after")
    def _sets_exist(self):
        if EVAL_PAIRS in self.pairs:
            raise ValueError(f"pairs: the name '{EVAL_PAIRS}' is the eval split's; give the set another name")
        if self.operating_point.pairs not in (EVAL_PAIRS, *self.pairs):
            raise ValueError(f"operating_point.pairs: expected '{EVAL_PAIRS}' or a set in evaluator.pairs "
                             f"({sorted(self.pairs)}), got '{self.operating_point.pairs}'")
        return self


class PusherConfig(Section):
    """Where blessed models are published: `<serving_dir>/<model_name>/<version>/` (TF Serving layout).

    `formats`: what each version holds besides the SavedModel (serving/formats.py: onnx, tflite,
    tflite_fp16, tflite_int8), each checked against the SavedModel on eval faces before publishing.
    """

    serving_dir: Location
    model_name: str = Field("arcface", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    keep_versions: int = Field(3, ge=1)
    formats: List[Literal[tuple(FORMATS)]] = []
