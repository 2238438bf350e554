"""Cosine scores, the accuracy-maximising threshold and the LFW k-fold protocol."""

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from verification.metrics import (
    best_threshold,
    cosine_similarities,
    verification_accuracy_kfold,
)


def test_cosine_matches_sklearn_row_by_row():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 16)), rng.normal(size=(50, 16))
    np.testing.assert_allclose(cosine_similarities(a, b), np.diag(cosine_similarity(a, b)), rtol=1e-12)


def test_cosine_ignores_length_and_scores_zero_rows_zero():
    a = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    b = np.array([[6.0, 8.0], [1.0, 1.0], [-5.0, 0.0]])
    np.testing.assert_allclose(cosine_similarities(a, b), [1.0, 0.0, -1.0])


def test_cosine_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"got \(3, 4\) and \(3, 5\)"):
        cosine_similarities(np.ones((3, 4)), np.ones((3, 5)))


def test_best_threshold_reaches_the_best_accuracy_any_threshold_can():
    rng = np.random.default_rng(1)
    is_same = rng.random(300) < 0.5
    scores = np.round(rng.normal(is_same * 1.0, 1.0), 1)  # rounded so that scores tie
    candidates = np.r_[np.unique(scores), np.inf]
    best_possible = max(np.mean((scores >= t) == is_same) for t in candidates)

    threshold = best_threshold(scores, is_same)
    assert np.mean((scores >= threshold) == is_same) == best_possible


@pytest.mark.parametrize(
    "scores, is_same, expected",
    [
        ([0.9, 0.7, 0.3, 0.2], [1, 1, 0, 0], 0.5),  # halfway across the gap
        ([0.4, 0.6, 0.8], [1, 1, 1], 0.4),  # accept all: the lowest score
        ([0.5, 0.5, 0.9], [1, 0, 1], 0.5),  # 0.5 and 0.9 both get 2 of 3 right: the lower wins
        ([0.2, 0.6, 0.6], [0, 0, 0], np.nextafter(0.6, 1)),  # reject all: just above the top
    ],
)
def test_best_threshold_small_cases(scores, is_same, expected):
    assert best_threshold(np.array(scores), np.array(is_same)) == expected


def test_kfold_on_a_hand_computed_case():
    # Whatever 9 folds it trains on, the threshold is 0.75: accepting only the 1.0 scores gets
    # every pair right except the one positive scored 0.0. The fold holding that positive (one
    # positive and one negative per fold) scores 0.5, the other nine 1.0.
    scores = np.r_[[0.0], np.ones(9), np.full(10, 0.5)]
    is_same = np.r_[np.ones(10, bool), np.zeros(10, bool)]
    result = verification_accuracy_kfold(scores, is_same, num_folds=10)

    np.testing.assert_array_equal(result["thresholds"], np.full(10, 0.75))
    assert sorted(result["accuracies"]) == [0.5] + [1.0] * 9
    assert result["mean"] == pytest.approx(0.95)
    assert result["std"] == pytest.approx(0.15)  # sqrt((9 * 0.05**2 + 0.45**2) / 10)
    assert result["best_threshold"] == 0.75


def test_kfold_folds_keep_the_class_balance_and_follow_the_seed():
    rng = np.random.default_rng(2)
    is_same = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    scores = rng.normal(is_same * 2.0, 1.0)
    result = verification_accuracy_kfold(scores, is_same, num_folds=10, seed=7)

    assert len(result["accuracies"]) == len(result["thresholds"]) == 10
    assert 0.8 < result["mean"] < 0.9  # Bayes accuracy of two unit normals 2 apart: 0.841
    assert np.all((0.5 < result["thresholds"]) & (result["thresholds"] < 1.5))  # optimum: 1.0
    same_seed = verification_accuracy_kfold(scores, is_same, num_folds=10, seed=7)
    np.testing.assert_array_equal(result["accuracies"], same_seed["accuracies"])


def test_kfold_uses_every_fold_when_pairs_are_few():
    result = verification_accuracy_kfold([0.9, 0.8, 0.7, 0.2, 0.1, 0.3], [1, 1, 1, 0, 0, 0], num_folds=6)
    np.testing.assert_array_equal(result["accuracies"], np.ones(6))


@pytest.mark.parametrize(
    "scores, is_same, num_folds, message",
    [
        ([0.1, 0.2], [1, 0, 1], 2, r"got \(2,\) and \(3,\)"),
        ([0.1, 0.2], [1, 2], 2, "booleans or 0/1"),
        ([0.1, np.nan], [1, 0], 2, "finite numbers, got 1 NaN or inf"),
        ([0.1, 0.2], [1, 0], 1, "num_folds: expected >= 2, got 1"),
        ([0.1, 0.2], [1, 0], 10, "at least num_folds=10 pairs, got 2"),
    ],
)
def test_kfold_rejects_bad_input(scores, is_same, num_folds, message):
    with pytest.raises(ValueError, match=message):
        verification_accuracy_kfold(np.array(scores), np.array(is_same), num_folds=num_folds)
