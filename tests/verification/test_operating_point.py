"""The operating point: a threshold chosen for a target FAR, its confidence intervals, and refusals."""

import numpy as np
import pytest
from scipy import stats

from verification import metrics
from verification.operating_point import (
    UnresolvableFar,
    choose,
    measure,
    rate_interval,
    threshold_for_far,
)


def _pairs(seed, num_negative, num_positive=2000):
    """Similarities with known distributions: different people N(0.1, 0.1), same people N(0.5, 0.15)."""
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(0.5, 0.15, num_positive), rng.normal(0.1, 0.1, num_negative)]
    return scores, np.r_[np.ones(num_positive, bool), np.zeros(num_negative, bool)]


def test_the_far_chosen_on_one_half_holds_on_the_other_within_its_interval():
    scores, is_same = _pairs(seed=0, num_negative=20_000)
    order = np.random.default_rng(1).permutation(len(scores))
    fit, held_out = order[::2], order[1::2]
    point = choose(scores[fit], is_same[fit], far=1e-2)
    assert point.far <= 1e-2 and point.false_accepts == point.num_negative_pairs // 100
    low, high = point.far_interval
    assert low < 1e-2 < high
    held = measure(scores[held_out], is_same[held_out], point.threshold)
    print(f"\nthreshold {point.threshold:.4f}: FAR {point.far:.4f} [{low:.4f}, {high:.4f}] on "
          f"{point.num_negative_pairs} pairs, {held.far:.4f} on the held-out {held.num_negative_pairs}; "
          f"FRR {point.frr:.4f} {point.frr_interval}, held out {held.frr:.4f}")
    assert low <= held.far <= high
    # The intervals are about the true rates, which the known distributions give.
    assert low <= stats.norm.sf(point.threshold, loc=0.1, scale=0.1) <= high
    assert point.frr_interval[0] <= stats.norm.cdf(point.threshold, loc=0.5, scale=0.15) <= point.frr_interval[1]


def test_the_interval_covers_the_true_far_about_as_often_as_it_claims():
    # The true FAR of a threshold t is the normal tail beyond it; 95% intervals should cover it
    # in about 95% of independent draws (allowing for the spread of 60 draws).
    covered = 0
    for seed in range(60):
        scores, is_same = _pairs(seed, num_negative=3000, num_positive=10)
        point = choose(scores, is_same, far=1e-2)
        true_far = stats.norm.sf(point.threshold, loc=0.1, scale=0.1)
        covered += point.far_interval[0] <= true_far <= point.far_interval[1]
    assert covered >= 52  # 57 expected; fewer than 52 has a chance of 0.3%


def test_a_far_the_pairs_cannot_resolve_is_refused_naming_the_pairs_needed():
    scores, is_same = _pairs(seed=0, num_negative=999)
    with pytest.raises(UnresolvableFar, match=r"a FAR of 0.001 needs at least 1000 different-identity pairs to be "
                                              r"measured; these pairs have 999"):
        choose(scores, is_same, far=1e-3)
    scores, is_same = _pairs(seed=0, num_negative=1000)
    assert choose(scores, is_same, far=1e-3).false_accepts == 1


def test_the_threshold_accepts_no_more_than_allowed_and_as_many_as_it_can():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5] + [0.75, 0.65, 0.55, 0.3, 0.2, 0.1, 0.1, 0.0, -0.1, -0.2])
    is_same = np.r_[np.ones(5, bool), np.zeros(10, bool)]
    # One false accept allowed in 10: accept 0.75 but not 0.65; halfway between 0.65 and 0.7.
    assert threshold_for_far(scores, is_same, 0.1) == pytest.approx(0.675)
    point = choose(scores, is_same, far=0.1)
    assert (point.false_accepts, point.false_rejects, point.tar) == (1, 2, 0.6)
    # Two negatives tie where one false accept is allowed: both are rejected, and as nothing
    # scores higher, the threshold sits just above them.
    assert threshold_for_far([0.5, 0.5, 0.5, 0.3, 0.2], [True, False, False, False, False], 0.25) == np.nextafter(0.5, 1)


def test_best_accuracy_is_chosen_when_no_far_is_given():
    scores, is_same = _pairs(seed=3, num_negative=500, num_positive=500)
    point = choose(scores, is_same)
    assert point.target_far is None and point.as_dict()["criterion"] == "best accuracy"
    assert point.threshold == metrics.best_threshold(scores, is_same)


def test_rate_interval_is_clopper_pearson():
    # Clopper-Pearson: the 2.5% and 97.5% quantiles of Beta(k, n - k + 1) and Beta(k + 1, n - k).
    assert rate_interval(10, 1000) == pytest.approx(
        (stats.beta.ppf(0.025, 10, 991), stats.beta.ppf(0.975, 11, 990)), rel=1e-9)
    assert rate_interval(0, 100)[0] == 0.0 and rate_interval(100, 100)[1] == 1.0
