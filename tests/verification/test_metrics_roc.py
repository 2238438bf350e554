"""ROC, AUC, equal error rate and TAR@FAR, checked against sklearn and small hand-made cases."""

import functools

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from verification.metrics import auc, equal_error_rate, roc, tar_at_far


def _random_pairs(seed, num_pairs, decimals):
    """Scores rounded to `decimals` so that few or many pairs share a score."""
    rng = np.random.default_rng(seed)
    is_same = rng.random(num_pairs) < 0.3
    return np.round(rng.normal(is_same * 1.5, 1.0), decimals), is_same


@pytest.mark.parametrize("seed, decimals", [(0, 6), (1, 1), (2, 0)])
@pytest.mark.parametrize("drop_intermediate", [True, False])
def test_roc_and_auc_equal_sklearn(seed, decimals, drop_intermediate):
    scores, is_same = _random_pairs(seed, 2000, decimals)
    expected = roc_curve(is_same, scores, drop_intermediate=drop_intermediate)
    for got, want in zip(roc(scores, is_same, drop_intermediate=drop_intermediate), expected):
        np.testing.assert_array_equal(got, want)
    assert auc(scores, is_same) == pytest.approx(roc_auc_score(is_same, scores), abs=1e-12)


def test_equal_error_rate_where_the_curve_meets_it_at_a_point():
    # At threshold 0.7: one of three negatives accepted, one of three positives rejected.
    assert equal_error_rate([0.9, 0.8, 0.4, 0.7, 0.3, 0.2], [1, 1, 1, 0, 0, 0]) == pytest.approx(1 / 3)


def test_equal_error_rate_interpolates_across_tied_scores():
    # The tie at 0.5 joins (fpr, tpr) = (0, 0.5) to (0.5, 1); the rates meet halfway along it.
    assert equal_error_rate([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx(0.25)


def test_equal_error_rate_is_zero_when_separable_and_half_when_blind():
    assert equal_error_rate([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 0.0
    assert equal_error_rate(np.full(6, 0.3), [1, 1, 1, 0, 0, 0]) == pytest.approx(0.5)


def test_equal_error_rate_matches_the_crossing_of_sklearn_roc():
    scores, is_same = _random_pairs(3, 5000, 6)
    fpr, tpr, _ = roc_curve(is_same, scores, drop_intermediate=False)
    crossing = np.argmax(1 - tpr <= fpr)  # EER lies between the rates either side of it
    low, high = sorted([fpr[crossing], 1 - tpr[crossing - 1]])
    assert low - 1e-12 <= equal_error_rate(scores, is_same) <= high + 1e-12


def test_tar_at_far_on_a_hand_computed_case():
    # 4 positives, 20 negatives of which three score high: 0.85, 0.75 and 0.65.
    scores = np.r_[[0.9, 0.8, 0.7, 0.6], [0.85, 0.75, 0.65], np.full(17, 0.1)]
    is_same = np.r_[np.ones(4, bool), np.zeros(20, bool)]
    result = tar_at_far(scores, is_same, fars=(0.1, 0.05, 0.01))

    assert result[0.1] == 0.75  # 2 false accepts allowed: accept down to 0.7
    assert result[0.05] == 0.5  # 1 allowed: accept down to 0.8
    assert result[0.01] == "not measurable: needs 100 negative pairs, have 20"


def test_tar_at_far_keeps_points_inside_straight_runs_of_the_curve():
    # One positive and one negative share each score, so the ROC is the straight diagonal whose
    # inner points drop_intermediate removes; the operating point at FAR 0.1 must still be found.
    scores = np.repeat(np.arange(10, 0, -1) / 10, 2)
    is_same = np.tile([True, False], 10)
    assert len(roc(scores, is_same)[0]) == 3

    assert tar_at_far(scores, is_same, fars=(0.1,)) == {0.1: 0.1}


def test_tar_at_far_with_one_false_accept_allowed():
    # 1000 negatives at FAR 1e-3 allow one false accept: the top negative, then every positive.
    scores = np.r_[[0.99], np.full(999, 0.1), [0.5, 0.4]]
    is_same = np.r_[np.zeros(1000, bool), [True, True]]
    assert tar_at_far(scores, is_same, fars=(1e-3, 1e-4)) == {
        1e-3: 1.0,
        1e-4: "not measurable: needs 10000 negative pairs, have 1000",
    }
    # A second negative above the positives leaves no threshold that accepts any of them.
    two_top_negatives = np.r_[[0.99, 0.98], scores[1:]], np.r_[[False], is_same]
    assert tar_at_far(*two_top_negatives, fars=(1e-3,)) == {1e-3: 0.0}


@pytest.mark.parametrize("function", [roc, auc, equal_error_rate, functools.partial(tar_at_far, fars=(0.1,))],
                         ids=["roc", "auc", "equal_error_rate", "tar_at_far"])
def test_one_class_is_rejected(function):
    with pytest.raises(ValueError, match="both same and different pairs, got 3 same and 0 different"):
        function(np.array([0.1, 0.2, 0.3]), np.array([True, True, True]))
