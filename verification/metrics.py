"""Face-verification and identification metrics in plain NumPy.

A face model is judged by whether embeddings of one person are closer to each other than to
anybody else's. These functions form same/different pairs from the eval split's labels, score
them by cosine similarity and measure verification accuracy with the LFW 10-fold protocol, the
ROC curve with its AUC (scikit-learn's), equal error rate and TAR at fixed FARs (1:N search is
in identification.py). A pair counts as the same identity iff its similarity >= the threshold,
throughout.
Over 300 lines on purpose: every metric here shares that convention and the pair sampling, and
they are tested together against scikit-learn (tests/verification/test_metrics_*.py).

Example:
    >>> labels = np.array(["ann", "ann", "bob", "bob"])
    >>> embeddings = np.array([[1.0, 0.1], [0.9, 0.0], [0.0, 1.0], [0.1, 0.8]])
    >>> index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=3000)
    >>> scores = cosine_similarities(embeddings[index_a], embeddings[index_b])
    >>> float(verification_accuracy_kfold(scores, is_same, num_folds=2)["mean"])
    1.0
"""

import numpy as np
from sklearn import metrics as sklearn_metrics


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


def make_pairs(labels, max_positive_pairs, seed=0):
    """Same-identity pairs of an eval set and as many different-identity pairs.

    Takes every same-identity pair, or a uniform sample of `max_positive_pairs` of them, and the
    same number of different-identity pairs drawn uniformly, all distinct, deterministic for a
    seed. If the set has fewer different-identity pairs than that (one person dominates it), both
    kinds are cut to that number so the classes stay balanced. Each pair has index_a < index_b;
    same-identity pairs come first.

    Returns (index_a, index_b, is_same): int64, int64 and bool arrays of one length.

    Example:
        >>> make_pairs(np.array([7, 7, 3]), max_positive_pairs=3000)
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
    return np.einsum("ij,ij->i", unit_rows(embeddings_a), unit_rows(embeddings_b))


def unit_rows(matrix):
    """Rows scaled to length 1 (floats of at least 32 bits); zero rows stay zero, not NaN.

    Example:
        >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    matrix = np.asarray(matrix)
    matrix = matrix.astype(np.result_type(matrix, np.float32), copy=False)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def check_scores(scores, is_same):
    """Validated copies: a 1-D float array of scores and a bool array of the same length."""
    scores, is_same = np.asarray(scores, dtype=np.float64), np.asarray(is_same)
    if scores.ndim != 1 or scores.shape != is_same.shape:
        raise ValueError(
            "expected scores and is_same as 1-D arrays of one length, "
            f"got {scores.shape} and {is_same.shape}"
        )
    if not np.isin(is_same, [0, 1]).all():
        raise ValueError(f"is_same: expected booleans or 0/1, got values {np.unique(is_same)[:5]}")
    if not np.isfinite(scores).all():
        num_bad = np.sum(~np.isfinite(scores))
        raise ValueError(f"scores: expected finite numbers, got {num_bad} NaN or inf")
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
    scores, is_same = check_scores(scores, is_same)
    order = np.argsort(scores)
    return _best_threshold_of_sorted(scores[order], is_same[order])


def _best_threshold_of_sorted(sorted_scores, sorted_same):
    """best_threshold for scores sorted ascending, so that k-fold sorts once, not once a fold."""
    # Cutting before position i accepts from i on: negatives before it, positives after it are right.
    cuts = np.r_[np.flatnonzero(np.r_[True, np.diff(sorted_scores) > 0]), len(sorted_scores)]
    negatives_before = np.r_[0, np.cumsum(~sorted_same)]
    positives_before = np.r_[0, np.cumsum(sorted_same)]
    correct = negatives_before[cuts] + positives_before[-1] - positives_before[cuts]
    best = int(np.argmax(correct))
    if cuts[best] == len(sorted_scores):
        return float(np.nextafter(sorted_scores[-1], np.inf))
    if best == 0:
        return float(sorted_scores[0])
    return float((sorted_scores[cuts[best]] + sorted_scores[cuts[best - 1]]) / 2)


def _dealt_folds(is_same, num_folds, seed):
    """Fold numbers dealt round-robin to shuffled pairs, same-identity pairs first."""
    if num_folds < 2:
        raise ValueError(f"num_folds: expected >= 2, got {num_folds}")
    if len(is_same) < num_folds:
        raise ValueError(f"expected at least num_folds={num_folds} pairs, got {len(is_same)}")
    rng = np.random.default_rng(seed)
    # Negatives are dealt on from where positives stopped, so fold sizes differ by at most one.
    dealing_order = np.concatenate(
        [rng.permutation(np.flatnonzero(is_same)), rng.permutation(np.flatnonzero(~is_same))]
    )
    fold = np.empty(len(is_same), dtype=np.int64)
    fold[dealing_order] = np.arange(len(is_same)) % num_folds
    return fold


def verification_accuracy_kfold(scores, is_same, num_folds=10, seed=0, folds=None):
    """Verification accuracy by the LFW protocol: k folds, threshold fit on k-1, scored on the last.

    Pairs are shuffled by `seed` and dealt round-robin into folds, same-identity pairs first, then
    different-identity ones, so every fold keeps the overall balance. Each fold's accuracy uses the
    threshold that maximised accuracy on the other folds; `std` is over folds (ddof=0, as LFW
    results are usually reported). `best_threshold` is fit on all pairs.
    `folds`, one fold number per pair, uses the folds a protocol defines (LFW's `pairs.txt`)
    instead: `num_folds` and `seed` are then unused.

    Returns dict(mean, std, accuracies [num_folds], thresholds [num_folds], best_threshold).

    Example:
        >>> result = verification_accuracy_kfold([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0], num_folds=2)
        >>> float(result["mean"]), result["best_threshold"]
        (1.0, 0.5)
    """
    scores, is_same = check_scores(scores, is_same)
    if folds is None:
        fold = _dealt_folds(is_same, num_folds, seed)
    else:
        fold = np.asarray(folds)
        if fold.shape != scores.shape:
            raise ValueError(f"folds: expected one fold number per pair, {scores.shape}, got {fold.shape}")
        _, fold = np.unique(fold, return_inverse=True)
        num_folds = int(fold.max()) + 1 if len(fold) else 0
        if num_folds < 2:
            raise ValueError(f"folds: expected at least 2 folds, got {num_folds}")

    order = np.argsort(scores)
    sorted_scores, sorted_same, sorted_fold = scores[order], is_same[order], fold[order]
    accuracies, thresholds = [], []
    for test_fold in range(num_folds):
        test = sorted_fold == test_fold
        threshold = _best_threshold_of_sorted(sorted_scores[~test], sorted_same[~test])
        thresholds.append(threshold)
        accuracies.append(np.mean((sorted_scores[test] >= threshold) == sorted_same[test]))
    accuracies = np.array(accuracies)
    return {
        "mean": float(accuracies.mean()),
        "std": float(accuracies.std()),
        "accuracies": accuracies,
        "thresholds": np.array(thresholds),
        "best_threshold": _best_threshold_of_sorted(sorted_scores, sorted_same),
    }


def _check_both_classes(scores, is_same):
    """check_scores, and a ValueError unless both same and different pairs are present."""
    scores, is_same = check_scores(scores, is_same)
    if is_same.all() or not is_same.any():
        raise ValueError(
            "expected both same and different pairs, "
            f"got {is_same.sum()} same and {(~is_same).sum()} different"
        )
    return scores, is_same


def roc(scores, is_same, drop_intermediate=True):
    """ROC curve of "same identity iff score >= threshold": sklearn.metrics.roc_curve's (fpr, tpr, thresholds).

    thresholds[0] = inf for the (0, 0) point. Unlike sklearn, a set with only one class is an
    error rather than a warning and NaNs.

    Example:
        >>> fpr, tpr, thresholds = roc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
        >>> fpr.tolist(), tpr.tolist(), thresholds.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.9, 0.8, 0.3, 0.1])
    """
    scores, is_same = _check_both_classes(scores, is_same)
    return sklearn_metrics.roc_curve(is_same, scores, drop_intermediate=drop_intermediate)


def auc(scores, is_same):
    """Area under the ROC curve, sklearn.metrics.roc_auc_score (tied scores count half).

    Example:
        >>> auc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
        0.75
    """
    scores, is_same = _check_both_classes(scores, is_same)
    return float(sklearn_metrics.roc_auc_score(is_same, scores))


def equal_error_rate(scores, is_same):
    """The rate at which false accepts equal false rejects, on the piecewise-linear ROC curve.

    Where the crossing falls between two ROC points (pairs of both kinds share a score), the
    rate is interpolated along the segment joining them.

    Example:
        >>> equal_error_rate([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])
        0.25
    """
    fpr, tpr, _ = roc(scores, is_same)
    # false rejects minus false accepts falls from 1 at (0, 0) to -1 at (1, 1).
    gap = (1 - tpr) - fpr
    crossing = int(np.argmax(gap <= 0))
    fraction = gap[crossing - 1] / (gap[crossing - 1] - gap[crossing])
    return float(fpr[crossing - 1] + fraction * (fpr[crossing] - fpr[crossing - 1]))


def negative_pairs_needed(far):
    """The fewest different-identity pairs that can measure a false-accept rate of `far`: ceil(1 / far).

    With fewer, a single false accept already exceeds `far`, so no threshold is known to meet it.

    Example:
        >>> negative_pairs_needed(1e-3)
        1000
    """
    return int(np.ceil(round(1 / far, 6)))  # round: 1 / 1e-3 may come out a hair over 1000


def tar_at_far(scores, is_same, fars):
    """True-accept rate at the strictest threshold whose false-accept rate is at most each FAR.

    A FAR of f is only measurable with at least 1/f different-identity pairs (below that, one
    false accept already exceeds it); such entries say so instead of holding a number.

    Returns {far: tar or "not measurable: needs N negative pairs, have M"}.

    Example:
        >>> scores = [0.9, 0.8, 0.7, 0.6] + [0.85, 0.75] + [0.1] * 8
        >>> tar_at_far(scores, [1] * 4 + [0] * 10, fars=(0.1, 0.01))
        {0.1: 0.5, 0.01: 'not measurable: needs 100 negative pairs, have 10'}
    """
    num_negative = int(np.sum(~_check_both_classes(scores, is_same)[1]))
    # Every distinct threshold, from accepting nothing (0, 0) on: fpr never falls along it.
    fpr, tpr, _ = roc(scores, is_same, drop_intermediate=False)
    results = {}
    for far in fars:
        needed = negative_pairs_needed(far)
        if num_negative < needed:
            results[far] = f"not measurable: needs {needed} negative pairs, have {num_negative}"
        else:
            # fpr never falls as the threshold is lowered: the last point within the FAR is the best.
            results[far] = float(tpr[np.searchsorted(fpr, far, side="right") - 1])
    return results
