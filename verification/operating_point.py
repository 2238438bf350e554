"""The operating point: the similarity threshold a model ships with, and the error rates it buys.

Deployed face verification is run at a false-accept rate (FAR) the application can bear, not at
the threshold that is most accurate on balanced pairs. `choose(scores, is_same, far=1e-3)` picks
the lowest threshold at which at most floor(far * N) of the N different-identity pairs are
accepted: the FAR measured on these pairs is at most the target, and the true-accept rate is the
highest any such threshold gives. The FAR and the false-reject rate (FRR) measured there come
with Clopper-Pearson (exact binomial) confidence intervals from scipy, and with the counts they
rest on. `choose(scores, is_same)` without a FAR picks the most accurate threshold instead.

A FAR is resolved only by at least ceil(1 / FAR) different-identity pairs; with fewer, one false
accept already exceeds it, so `choose` refuses it (`UnresolvableFar`) and says how many it needs.

Example:
    >>> point = choose(scores, is_same, far=1e-2)       # 1000 different-identity pairs, say
    >>> point.threshold, point.far, point.far_interval  # at most 10 of the 1000 accepted
    (0.6123, 0.009, (0.0041, 0.0170))
    >>> choose(scores[:50], is_same[:50], far=1e-3)
    UnresolvableFar: a FAR of 0.001 needs at least 1000 different-identity pairs to be measured; these pairs have 25 ...
"""

import dataclasses
import math
from typing import Optional, Tuple

import numpy as np
from scipy import stats

from verification import metrics

CONFIDENCE = 0.95


class UnresolvableFar(ValueError):
    """The pairs hold too few different-identity pairs to measure the FAR asked for."""


@dataclasses.dataclass(frozen=True)
class OperatingPoint:
    """A threshold and what it does on the pairs it was chosen on ("same" iff similarity >= threshold).

    `target_far` is None when the threshold was chosen for the best accuracy.
    """

    threshold: float
    target_far: Optional[float]
    false_accepts: int
    num_negative_pairs: int
    false_rejects: int
    num_positive_pairs: int
    confidence: float = CONFIDENCE

    @property
    def far(self) -> float:
        return self.false_accepts / self.num_negative_pairs

    @property
    def frr(self) -> float:
        return self.false_rejects / self.num_positive_pairs

    @property
    def tar(self) -> float:
        return 1.0 - self.frr

    @property
    def far_interval(self) -> Tuple[float, float]:
        return rate_interval(self.false_accepts, self.num_negative_pairs, self.confidence)

    @property
    def frr_interval(self) -> Tuple[float, float]:
        return rate_interval(self.false_rejects, self.num_positive_pairs, self.confidence)

    def as_dict(self) -> dict:
        """JSON values: the threshold, the criterion, each rate with its interval and counts."""
        return {
            "threshold": self.threshold,
            "criterion": "best accuracy" if self.target_far is None else f"FAR {self.target_far:g}",
            "target_far": self.target_far,
            "far": self.far,
            "far_interval": list(self.far_interval),
            "frr": self.frr,
            "frr_interval": list(self.frr_interval),
            "tar": self.tar,
            "confidence": self.confidence,
            "false_accepts": self.false_accepts,
            "num_negative_pairs": self.num_negative_pairs,
            "false_rejects": self.false_rejects,
            "num_positive_pairs": self.num_positive_pairs,
        }


def rate_interval(count: int, total: int, confidence: float = CONFIDENCE) -> Tuple[float, float]:
    """Clopper-Pearson interval of a rate `count / total` (scipy's exact binomial interval).

    Example:
        >>> rate_interval(0, 1000)   # no false accept in 1000: the FAR may still be up to 0.37%
        (0.0, 0.003682083896865672)
    """
    interval = stats.binomtest(int(count), int(total)).proportion_ci(confidence, method="exact")
    return float(interval.low), float(interval.high)


def threshold_for_far(scores, is_same, far: float) -> float:
    """The lowest threshold accepting at most floor(far * N) of the N different-identity pairs.

    It lies halfway between the highest rejected score and the next higher score of any pair,
    so it keeps a margin on both sides. Raises UnresolvableFar when N < ceil(1 / far).
    """
    scores, is_same = metrics.check_scores(scores, is_same)
    if not 0 < far < 1:
        raise ValueError(f"far: expected a rate between 0 and 1, got {far}")
    negatives = np.sort(scores[~is_same])[::-1]
    needed = metrics.negative_pairs_needed(far)
    if len(negatives) < needed:
        raise UnresolvableFar(
            f"a FAR of {far:g} needs at least {needed} different-identity pairs to be measured; these pairs "
            f"have {len(negatives)} (one false accept among them is already a FAR of "
            f"{1 / max(len(negatives), 1):.2g}). Give the evaluation more different-identity pairs, or choose "
            f"a FAR of at least {1 / max(len(negatives), 1):.2g}"
        )
    allowed = math.floor(far * len(negatives) + 1e-9)  # 1e-9: 0.01 * 1000 may come out a hair under 10
    highest_rejected = negatives[allowed]
    above = scores[scores > highest_rejected]
    if above.size == 0:
        return float(np.nextafter(highest_rejected, np.inf))
    return float((highest_rejected + above.min()) / 2)


def measure(scores, is_same, threshold: float, target_far: Optional[float] = None) -> OperatingPoint:
    """The false accepts and false rejects of `threshold` on the pairs.

    Example:
        >>> measure([0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0], threshold=0.5).as_dict()["far"]
        0.5
    """
    scores, is_same = metrics.check_scores(scores, is_same)
    accepted = scores >= threshold
    return OperatingPoint(
        threshold=float(threshold),
        target_far=target_far,
        false_accepts=int(np.sum(accepted & ~is_same)),
        num_negative_pairs=int(np.sum(~is_same)),
        false_rejects=int(np.sum(~accepted & is_same)),
        num_positive_pairs=int(np.sum(is_same)),
    )


def choose(scores, is_same, far: Optional[float] = None) -> OperatingPoint:
    """The operating point for a target FAR, or the most accurate one when `far` is None."""
    if far is None:
        threshold = metrics.best_threshold(scores, is_same)
    else:
        threshold = threshold_for_far(scores, is_same, far)
    return measure(scores, is_same, threshold, far)
