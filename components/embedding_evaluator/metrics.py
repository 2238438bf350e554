"""Face-verification and identification metrics in plain NumPy.

A face model is judged by whether embeddings of one person are closer to each other than to
anybody else's. These functions form same/different pairs from the eval split's labels, score
them by cosine similarity and measure verification accuracy with the LFW 10-fold protocol.

Example:
    >>> labels = np.array(["ann", "ann", "bob", "bob"])
    >>> embeddings = np.array([[1.0, 0.1], [0.9, 0.0], [0.0, 1.0], [0.1, 0.8]])
    >>> index_a, index_b, is_same = make_pairs(labels)
    >>> scores = cosine_similarities(embeddings[index_a], embeddings[index_b])
    >>> float(verification_accuracy_kfold(scores, is_same, num_folds=2)["mean"])
    1.0
"""

import numpy as np


def _sample_pairs(partner_start, partner_count, num_pairs, rng):
    """Draws `num_pairs` distinct pairs (p, q) where q lies in [partner_start[p], +partner_count[p]).

    Every pair is numbered, p-major, so sampling pair numbers without replacement gives distinct
    pairs uniformly without ever listing them all (there can be billions of negative pairs).
    """
    first_number = np.concatenate([[0], np.cumsum(partner_count)])
    numbers = np.sort(rng.choice(first_number[-1], size=num_pairs, replace=False))
    first = np.searchsorted(first_number, numbers, side="right") - 1
    second = partner_start[first] + (numbers - first_number[first])
    return first, second


def make_pairs(labels, max_positive_pairs=10_000, seed=0):
    """Same-identity pairs of an eval set and as many different-identity pairs.

    Takes every same-identity pair, or a uniform sample of `max_positive_pairs` of them, and the
    same number of different-identity pairs drawn uniformly, all distinct, deterministic for a
    seed. If the set has fewer different-identity pairs than that (one person dominates it), both
    kinds are cut to that number so the classes stay balanced. Each pair has index_a < index_b;
    same-identity pairs come first.

    Returns (index_a, index_b, is_same): int64, int64 and bool arrays of one length.

    Example:
        >>> make_pairs(np.array([7, 7, 3]))
        (array([0, 1]), array([1, 2]), array([ True, False]))
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels: expected a 1-D array, got shape {labels.shape}")
    if max_positive_pairs < 1:
        raise ValueError(f"max_positive_pairs: expected >= 1, got {max_positive_pairs}")
    order = np.argsort(labels, kind="stable")
    _, group_start, group_size = np.unique(labels[order], return_index=True, return_counts=True)
    if len(group_size) < 2:
        raise ValueError(f"make_pairs needs at least 2 identities, got {len(group_size)}")
    if group_size.max() < 2:
        raise ValueError(
            f"make_pairs needs an identity with at least 2 images; all {len(group_size)} have one"
        )
    # In label-sorted order an image's later same-identity partners follow it up to its group's
    # end, and its later different-identity partners are everything after that end.
    position = np.arange(len(labels))
    group_end = np.repeat(group_start + group_size, group_size)
    num_positive = int(np.sum(group_size * (group_size - 1) // 2))
    num_negative = int(np.sum(len(labels) - group_end))
    num_pairs = min(num_positive, max_positive_pairs, num_negative)

    rng = np.random.default_rng(seed)
    positive = _sample_pairs(position + 1, group_end - position - 1, num_pairs, rng)
    negative = _sample_pairs(group_end, len(labels) - group_end, num_pairs, rng)
    first = order[np.concatenate([positive[0], negative[0]])]
    second = order[np.concatenate([positive[1], negative[1]])]
    is_same = np.repeat([True, False], num_pairs)
    return np.minimum(first, second), np.maximum(first, second), is_same


def cosine_similarities(embeddings_a, embeddings_b):
    """Cosine similarity of each row of `embeddings_a` with the same row of `embeddings_b`.

    Rows are L2-normalised here, so raw embeddings are fine; a zero row scores 0 against anything.

    Example:
        >>> cosine_similarities(np.array([[2.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]]))
        array([0.70710678, 0.        ])
    """
    embeddings_a, embeddings_b = np.asarray(embeddings_a), np.asarray(embeddings_b)
    if embeddings_a.ndim != 2 or embeddings_a.shape != embeddings_b.shape:
        raise ValueError(
            "expected two [num_pairs, dim] arrays of one shape, "
            f"got {embeddings_a.shape} and {embeddings_b.shape}"
        )
    return np.einsum("ij,ij->i", _unit_rows(embeddings_a), _unit_rows(embeddings_b))


def _unit_rows(matrix):
    """Rows scaled to length 1; zero rows stay zero instead of becoming NaN."""
    matrix = matrix.astype(np.result_type(matrix, np.float32), copy=False)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _check_scores(scores, is_same):
    """Validated copies: a 1-D float array of scores and a bool array of the same length."""
    scores, is_same = np.asarray(scores, dtype=np.float64), np.asarray(is_same)
    if scores.ndim != 1 or scores.shape != is_same.shape:
        raise ValueError(
            f"expected scores and is_same as 1-D arrays of one length, got {scores.shape} and {is_same.shape}"
        )
    if not np.isin(is_same, [0, 1]).all():
        raise ValueError(f"is_same: expected booleans or 0/1, got values {np.unique(is_same)[:5]}")
    if not np.isfinite(scores).all():
        raise ValueError(f"scores: expected finite numbers, got {np.sum(~np.isfinite(scores))} NaN or inf")
    return scores, is_same.astype(bool)


def best_threshold(scores, is_same):
    """The threshold maximising accuracy of "same identity iff score >= threshold".

    Every distinct score is tried as the lowest accepted one, in one sort. The threshold returned is
    halfway between that score and the next lower one, so it holds a margin on both sides; if
    rejecting everything is best, it is just above the highest score. Ties go to the lowest.

    Example:
        >>> best_threshold(np.array([0.9, 0.7, 0.3, 0.2]), np.array([True, True, False, False]))
        0.5
    """
    scores, is_same = _check_scores(scores, is_same)
    order = np.argsort(scores, kind="stable")
    sorted_scores, sorted_same = scores[order], is_same[order]
    distinct = np.flatnonzero(np.r_[True, np.diff(sorted_scores) > 0])
    # Accepting from distinct[k] on: positives at or above it are right, negatives below it are.
    negatives_below = np.cumsum(~sorted_same)[distinct] - ~sorted_same[distinct]
    positives_from = is_same.sum() - (np.cumsum(sorted_same)[distinct] - sorted_same[distinct])
    correct = np.r_[negatives_below + positives_from, (~is_same).sum()]
    best = int(np.argmax(correct))
    if best == len(distinct):
        return float(np.nextafter(sorted_scores[-1], np.inf))
    if best == 0:
        return float(sorted_scores[0])
    return float((sorted_scores[distinct[best]] + sorted_scores[distinct[best - 1]]) / 2)


def verification_accuracy_kfold(scores, is_same, num_folds=10, seed=0):
    """Verification accuracy by the LFW protocol: k folds, threshold fit on k-1, scored on the last.

    Pairs are shuffled by `seed` and dealt round-robin into folds, same- and different-identity
    pairs separately, so every fold keeps the overall balance. Each fold's accuracy uses the
    threshold that maximised accuracy on the other folds; `std` is over folds (ddof=0, as LFW
    results are usually reported). `best_threshold`, fit on all pairs, is the one to ship.

    Returns dict(mean, std, accuracies [num_folds], thresholds [num_folds], best_threshold).

    Example:
        >>> result = verification_accuracy_kfold([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0], num_folds=2)
        >>> float(result["mean"]), result["best_threshold"]
        (1.0, 0.5)
    """
    scores, is_same = _check_scores(scores, is_same)
    if num_folds < 2:
        raise ValueError(f"num_folds: expected >= 2, got {num_folds}")
    if len(scores) < num_folds:
        raise ValueError(f"expected at least num_folds={num_folds} pairs, got {len(scores)}")
    rng = np.random.default_rng(seed)
    # Negatives are dealt on from where positives stopped, so fold sizes differ by at most one.
    positives, negatives = rng.permutation(np.flatnonzero(is_same)), rng.permutation(np.flatnonzero(~is_same))
    fold = np.empty(len(scores), dtype=np.int64)
    fold[np.concatenate([positives, negatives])] = np.arange(len(scores)) % num_folds

    accuracies, thresholds = [], []
    for test_fold in range(num_folds):
        test = fold == test_fold
        threshold = best_threshold(scores[~test], is_same[~test])
        thresholds.append(threshold)
        accuracies.append(np.mean((scores[test] >= threshold) == is_same[test]))
    accuracies = np.array(accuracies)
    return {
        "mean": float(accuracies.mean()),
        "std": float(accuracies.std()),
        "accuracies": accuracies,
        "thresholds": np.array(thresholds),
        "best_threshold": best_threshold(scores, is_same),
    }
