"""Config sections for evaluation, blessing and pushing."""

from typing import Annotated, Dict, List, Literal, Optional

import pydantic
from pydantic import Field

from components.embedding_evaluator.catalog import (
    ALL_PAIRS_FARS,
    COMPARABLE_METRICS,
    EVAL_PAIRS,
    FARS,
    IJB_SET,
    MAX_POSITIVE_PAIRS,
    MIN_VERIFICATION_ACCURACY,
    PAIRS_SET,
    SET_TYPES,
    VERIFICATION_METRICS,
)
from configs.base import Location, Section
from serving.formats import FORMATS

# The false-accept rates at which the evaluator reports the true-accept rate; an IJB set's
# millions of impostor pairs reach down to 1e-6.
FarKey = Literal[tuple(FARS)]
LowFarKey = Literal[tuple(ALL_PAIRS_FARS)]
# Metrics a model can be compared on with its predecessor: on a named set its verification
# metrics, on the eval split identification as well; for `eer` lower is better, else higher.
VerificationMetric = Literal[VERIFICATION_METRICS]
ComparableMetric = Literal[COMPARABLE_METRICS]
Rate = Annotated[float, Field(ge=0, le=1)]
SetName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class PairsConfig(Section):
    """A named verification-pairs set: pair records (`python -m face_data bin|lfw-pairs`) or an
    IJB-B / IJB-C set (`type: ijb`, `python -m face_data ijb`), and what a model must achieve on
    it to be blessed (as the eval split's thresholds; on an IJB set, on its 1:1 template pairs)."""

    type: Literal[SET_TYPES] = PAIRS_SET
    """pairs: pair records; ijb: template-face records and the protocol.npz beside them, scored 1:1 on template pairs and 1:N per gallery (read from input_base, not through an ExampleGen)."""
    input_base: Location
    """The folder of the set's pair records (or, for ijb, template-face records and protocol.npz)."""
    file_pattern: str = "*.tfrecord*"
    """Which files under `input_base` are record files (a glob)."""
    min_verification_accuracy: Rate = 0.0
    """The least verification accuracy on this set for a model to be blessed."""
    min_tar_at_far: Dict[LowFarKey, Rate] = {}
    """FAR -> the least TAR there on this set, e.g. {"1e-2": 0.9}; below 1e-4 for sets of type ijb only."""
    max_regression_from_blessed: Dict[VerificationMetric, float] = {}
    """Metric -> the largest loss on this set tolerated against the latest blessed model (0: no worse)."""
    detector_scores: bool = True
    """ijb: weigh each face by its detector score in its template, as insightface's eval_ijbc.py does."""
    flip: bool = True
    """ijb: add each face's embedding to its mirror image's (the flip test; embeds every face twice)."""

    @pydantic.model_validator(mode="after")
    def _ijb_keys_for_ijb_sets(self):
        if self.type != IJB_SET and not (self.detector_scores and self.flip):
            raise ValueError("detector_scores and flip apply to sets of type ijb only; this set is of type "
                             f"{self.type}")
        lower = sorted(set(self.min_tar_at_far) - set(FARS))
        if self.type != IJB_SET and lower:
            raise ValueError(f"min_tar_at_far: {lower} are reported for sets of type ijb only; a set of type "
                             f"{self.type} reports TAR at {list(FARS)}")
        return self


class OperatingPointConfig(Section):
    """The threshold shipped with the model (`verification.json`), which `compare` decides by.

    `criterion: far` (the default) chooses the lowest threshold whose false-accept rate on the
    `pairs` is at most `far`; the pairs must hold at least 1/far different-identity pairs, or
    the model is not blessed (the message says how many are needed). `criterion: best_accuracy`
    chooses the most accurate threshold on balanced pairs instead.
    """

    criterion: Literal["far", "best_accuracy"] = "far"
    """far: the lowest threshold whose false-accept rate is at most `far`; best_accuracy: the most accurate threshold."""
    far: float = Field(1e-3, gt=0, lt=1)
    """The target false-accept rate (criterion far)."""
    pairs: SetName = EVAL_PAIRS
    """The pairs the threshold is chosen on: "eval" (the eval split's), or a name in evaluator.pairs."""

    @property
    def target_far(self) -> Optional[float]:
        """The FAR to choose the threshold for; None for the most accurate threshold."""
        return self.far if self.criterion == "far" else None


class EveryPairConfig(Section):
    """All-vs-all scoring of the eval split: every different-identity pair, not a drawn sample.

    Reports the TAR at FAR 1e-1 ... 1e-6 wherever the split holds enough pairs (1e-6 needs a
    million: about 1,400 faces), chooses the operating point on "eval" over all pairs, and gives
    the per-group rates; intervals come from a seeded bootstrap over identities (docs/evaluation.md).
    """

    enabled: bool = True
    """Score every pair of the eval split (seconds for 10k faces); false: the drawn pairs only."""
    replicates: int = Field(200, ge=2)
    """Identity-bootstrap draws behind each all-pairs interval (seeded by evaluator.seed)."""
    min_tar_at_far: Dict[LowFarKey, Rate] = {}
    """FAR -> the least TAR there over every eval pair for a model to be blessed, e.g. {"1e-4": 0.8}; a FAR the eval split cannot resolve fails the check."""

    @pydantic.model_validator(mode="after")
    def _thresholds_need_scoring(self):
        if self.min_tar_at_far and not self.enabled:
            raise ValueError("min_tar_at_far: needs every pair scored (enabled: true)")
        return self


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
    """The least verification accuracy on the eval split for a model to be blessed."""
    min_tar_at_far: Dict[FarKey, Rate] = {}
    """FAR -> the least TAR there on the eval split; a FAR the pairs cannot measure (too few negatives) fails the check."""
    max_regression_from_blessed: Dict[ComparableMetric, float] = {}
    """Metric -> the largest loss tolerated against the latest blessed model (0: no worse)."""
    max_positive_pairs: int = Field(MAX_POSITIVE_PAIRS, gt=0)
    """At most this many same-identity pairs from the eval split, and as many different-identity pairs."""
    seed: int = 0
    """Seed of the eval split's pairs, of the 10 folds and of the identification gallery."""
    operating_point: OperatingPointConfig = OperatingPointConfig()
    """The threshold shipped with the model."""
    min_tar_at_operating_point: Optional[Rate] = None
    """The least TAR (1 - FRR) at the shipped threshold for a model to be blessed; null: no check."""
    every_pair: EveryPairConfig = EveryPairConfig()
    """All-vs-all scoring of the eval split: TAR down to a FAR of 1e-6, per-group rates."""
    max_group_rate_factor: Optional[float] = Field(None, gt=0)
    """Each group's FAR and FRR at the shipped threshold (groups: the records' attributes) may be at most this many times the overall rate for a model to be blessed; null: reported, not judged."""
    pairs: Dict[SetName, PairsConfig] = {}
    """Named verification-pairs sets (LFW, CFP-FP, ...), each scored and judged on its own."""

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


class SyntheticGalleryConfig(Section):
    """The built-in synthetic people drawn into `photos` and `probes`, each when missing (the demo). They are
    people no training set holds: identities from `first_identity` on, of `data.synthetic`'s seed."""

    people: int = Field(20, ge=1)
    """People enrolled (`photos`/enrolled-NN/), each also in `probes` with photos not enrolled."""
    strangers: int = Field(40, ge=1)
    """People in `probes` only (`probes`/stranger-NN/): searches by people not enrolled."""
    photos_per_person: int = Field(5, ge=1)
    """Photos enrolled per person."""
    probes_per_person: int = Field(3, ge=1)
    """Photos in `probes` per person, enrolled or not."""
    first_identity: int = Field(1_000_000, ge=0)
    """The first synthetic identity drawn: above every `data.synthetic.num_identities`, so nobody trained on
    is enrolled."""


class GalleryConfig(Section):
    """People enrolled into a gallery pushed inside each version (`<version>/gallery`), re-embedded by each
    new model in a Beam job, with the open-set threshold chosen for `fpir` (docs/gallery.md)."""

    photos: Location
    """A folder of `<person>/<photos>`: the people enrolled, several photos each (averaged into one template)."""
    probes: Location
    """A folder of `<person>/<photos>` held out from `photos`: of enrolled people and of people not enrolled
    (at least 1/fpir photos of those), on which the open-set threshold is chosen."""
    fpir: float = Field(1e-2, gt=0, lt=1)
    """The false-positive identification rate the threshold allows: the share of searches by people not
    enrolled that `identify` answers with someone."""
    aligned_size: Optional[int] = Field(None, gt=0)
    """None: the photos are face crops; a size: raw photos, each face found and aligned to it (as --align)."""
    synthetic: Optional[SyntheticGalleryConfig] = None
    """Draw the built-in synthetic people into `photos` and `probes` before a run, each if missing (the
    demo: `identify` then has photos to answer "who is this?" on)."""

    @pydantic.model_validator(mode="after")
    def _enough_strangers(self):
        if self.synthetic is not None:
            searches = self.synthetic.strangers * self.synthetic.probes_per_person
            if searches * self.fpir < 1:
                raise ValueError(f"synthetic: expected strangers x probes_per_person >= 1/fpir ({1 / self.fpir:g}) "
                                 f"searches by people not enrolled, to choose the threshold at fpir {self.fpir:g}; "
                                 f"got {searches}")
        return self


class PusherConfig(Section):
    """Where blessed models are published: `<serving_dir>/<model_name>/<version>/` (TF Serving layout).

    `formats`: what each version holds besides the SavedModel (serving/formats.py: onnx, tflite,
    tflite_fp16, tflite_int8), each checked against the SavedModel on eval faces before publishing.
    """

    serving_dir: Location
    """The folder blessed models are published under."""
    model_name: str = Field("arcface", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The model's folder under `serving_dir`."""
    keep_versions: int = Field(3, ge=1)
    """The newest versions kept; older ones are removed after a push."""
    formats: List[Literal[tuple(FORMATS)]] = []
    """Files each version holds besides the SavedModel, each checked against it before publishing."""
    gallery: Optional[GalleryConfig] = None
    """A gallery of people re-embedded with each blessed model and pushed beside it; none by default."""
