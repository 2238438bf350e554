"""Every number reported for one model, from its embeddings: verification on pairs, identification.

Verification uses pairs (two embeddings and whether they show one person), whatever their
source; identification uses the labelled eval split. The result is a flat dict of JSON values,
the same keys for the candidate and for the baseline model, so the two can be compared key by key.

Example:
    >>> scores = np.r_[np.linspace(0.3, 0.9, 20), np.linspace(0.0, 0.6, 20)]
    >>> is_same = np.r_[np.ones(20, bool), np.zeros(20, bool)]
    >>> result = verification_metrics(scores, is_same, seed=0)
    >>> result["tar_at_far_1e-1"], result["tar_at_far_1e-2"]
    (0.6, 'not measurable: needs 100 negative pairs, have 20')
"""

import numpy as np

from verification import identification, metrics
from components.embedding_evaluator.catalog import AUC, EER, FARS, RANKS, VERIFICATION_ACCURACY, rank_key, tar_key
from components.embedding_evaluator.report import VERIFICATION_ACCURACY_STD


def verification_metrics(scores, is_same, seed: int, folds=None, fars=FARS) -> dict:
    """LFW 10-fold accuracy, ROC AUC, EER, TAR at each FAR and the most accurate threshold, for pair scores.

    `folds` (one per pair) are the folds a pairs file defines; without them 10 are dealt by `seed`.
    `fars` ({key: rate}) are where TARs are reported: an IJB set's millions of impostor pairs
    resolve `ALL_PAIRS_FARS`, down to 1e-6. A TAR whose FAR needs more negative pairs than there
    are is a string saying so, not a number.
    """
    scores, is_same = np.asarray(scores), np.asarray(is_same, dtype=bool)
    accuracy = metrics.verification_accuracy_kfold(scores, is_same, seed=seed, folds=folds)
    tars = metrics.tar_at_far(scores, is_same, fars=tuple(fars.values()))
    return {
        VERIFICATION_ACCURACY: accuracy["mean"],
        VERIFICATION_ACCURACY_STD: accuracy["std"],
        "best_threshold": accuracy["best_threshold"],
        AUC: metrics.auc(scores, is_same),
        EER: metrics.equal_error_rate(scores, is_same),
        **{tar_key(name): tars[far] for name, far in fars.items()},
        "mean_similarity_same": float(np.mean(scores[is_same])),
        "mean_similarity_different": float(np.mean(scores[~is_same])),
    }


def identification_metrics(embeddings, labels, seed: int) -> dict:
    """Closed-set rank-1 and rank-5: one gallery image per eval identity, every other image a probe."""
    ranks = identification.identification_rank_k(embeddings, labels, ks=RANKS, seed=seed)
    return {rank_key(k): ranks[k] for k in RANKS}
