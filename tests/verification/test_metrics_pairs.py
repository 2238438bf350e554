"""make_pairs: which same/different pairs an eval set yields, and when it refuses."""

import itertools

import numpy as np
import pytest

from verification.metrics import make_pairs


def _pair_set(index_a, index_b):
    return set(zip(index_a.tolist(), index_b.tolist()))


def test_takes_every_positive_pair_under_the_cap_and_as_many_negatives():
    # Identities interleaved on purpose: indices must map back through the label sort.
    labels = np.array(["c", "a", "b", "a", "b", "a"])
    index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=100)

    assert is_same.dtype == bool and is_same.sum() == 4 and (~is_same).sum() == 4
    assert _pair_set(index_a[is_same], index_b[is_same]) == {(1, 3), (1, 5), (3, 5), (2, 4)}
    negatives = _pair_set(index_a[~is_same], index_b[~is_same])
    assert len(negatives) == 4
    assert all(a < b and labels[a] != labels[b] for a, b in negatives)


def test_caps_positive_pairs_with_distinct_deterministic_samples():
    labels = np.repeat(np.arange(50), 8)  # 50 * 28 = 1400 positive pairs
    index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=300, seed=3)

    assert len(is_same) == 600 and is_same.sum() == 300
    assert np.all(index_a < index_b)
    assert np.array_equal(labels[index_a] == labels[index_b], is_same)
    assert len(_pair_set(index_a, index_b)) == 600

    again = make_pairs(labels, max_positive_pairs=300, seed=3)
    other_seed = make_pairs(labels, max_positive_pairs=300, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip((index_a, index_b, is_same), again))
    assert not np.array_equal(index_a, other_seed[0])


def test_negative_pairs_are_drawn_uniformly():
    labels = np.array([0, 0, 1, 1, 2, 2])  # 3 positive pairs, 12 negative pairs
    counts = dict.fromkeys(
        [(a, b) for a, b in itertools.combinations(range(6), 2) if labels[a] != labels[b]], 0
    )
    for seed in range(400):
        index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=10_000, seed=seed)
        for pair in _pair_set(index_a[~is_same], index_b[~is_same]):
            counts[pair] += 1
    # Each of 400 draws takes 3 of 12 pairs: 100 expected per pair, binomial sd about 8.7.
    assert all(60 <= count <= 140 for count in counts.values()), counts


def test_balances_classes_when_one_identity_dominates():
    labels = np.array([5] * 10 + [9])  # 45 positive pairs but only 10 negative pairs
    index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=10_000)

    assert is_same.sum() == 10 and (~is_same).sum() == 10
    assert _pair_set(index_a[~is_same], index_b[~is_same]) == {(i, 10) for i in range(10)}


def test_identities_with_one_image_still_give_negatives():
    labels = np.array([1, 1, 2, 3, 4])
    index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=10_000)

    assert _pair_set(index_a[is_same], index_b[is_same]) == {(0, 1)}
    assert labels[index_a[~is_same]] != labels[index_b[~is_same]]


@pytest.mark.parametrize(
    "labels, message",
    [
        (["ann", "ann", "ann"], "at least 2 identities, got 1"),
        ([1, 2, 3], "identity with at least 2 images; all 3 have one"),
        ([[1, 1], [2, 2]], r"1-D array, got shape \(2, 2\)"),
    ],
)
def test_rejects_eval_sets_without_pairs(labels, message):
    with pytest.raises(ValueError, match=message):
        make_pairs(np.array(labels), max_positive_pairs=10_000)


def test_rejects_a_cap_below_one():
    with pytest.raises(ValueError, match="max_positive_pairs: expected >= 1, got 0"):
        make_pairs(np.array([1, 1, 2]), max_positive_pairs=0)
