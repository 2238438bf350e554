"""1:N identification: searching a probe among a gallery of enrolled people, closed and open set.

Closed set (`identification_rank_k`): every probe's identity is enrolled; how often does it rank
in the top k? Open set (`open_set_identification`, the IJB-B / IJB-C 1:N protocol, and how a
gallery is deployed): some probes are of people not enrolled ("non-mated" searches). A search
answers with its top gallery entry when that scores at least a threshold. The threshold is chosen
for a false-positive identification rate (FPIR: the share of non-mated searches answered with
anyone), the lowest at which at most floor(FPIR * N) of the N non-mated searches are answered,
as `operating_point.threshold_for_far` chooses it for a FAR; the true-positive identification
rate (TPIR) is then the share of mated searches whose own entry ranks first and scores at least
the threshold. A gallery entry tying with the true one counts as ranked above it, throughout.

Example:
    >>> gallery = np.array([[1.0, 0.0], [0.0, 1.0]])              # people 10 and 20
    >>> probes = np.array([[0.9, 0.1], [0.2, 0.9], [0.6, 0.6], [-1.0, 0.1]])  # 30 and 40 not enrolled
    >>> result = open_set_identification(probes, [10, 20, 30, 40], gallery, [10, 20], ks=(1,), fpirs=(0.5,))
    >>> result["rank"], result["tpir"], round(result["threshold"][0.5], 3)
    ({1: 1.0}, {0.5: 1.0}, 0.403)
"""

import numpy as np

from verification import metrics, operating_point


def _check_embeddings(embeddings, labels, what: str):
    embeddings, labels = np.asarray(embeddings), np.asarray(labels)
    if embeddings.ndim != 2 or labels.shape != (len(embeddings),):
        raise ValueError(f"{what}: expected embeddings [N, dim] and labels [N], got {embeddings.shape} and "
                         f"{labels.shape}")
    return embeddings, labels


def _check_ks(ks):
    if not all(isinstance(k, (int, np.integer)) and k >= 1 for k in ks):
        raise ValueError(f"ks: expected positive integers, got {ks}")


def search(probes, gallery, true_column, batch_size: int = 1024):
    """(rank of each probe's true gallery entry, its similarity, the probe's top similarity) by cosine.

    `true_column[i]` is the gallery row of probe i's identity, or -1 for a non-mated probe, whose
    rank and true similarity are then meaningless (rank 0, similarity -inf). Probes go in batches
    to bound memory.
    """
    gallery_unit = metrics.unit_rows(gallery)
    true_column = np.asarray(true_column)
    ranks, true_similarity, top_similarity = [], [], []
    for start in range(0, len(true_column), batch_size):
        batch = slice(start, start + batch_size)
        similarities = metrics.unit_rows(probes[batch]) @ gallery_unit.T
        column = true_column[batch]
        true = np.where(column >= 0, similarities[np.arange(len(similarities)), np.maximum(column, 0)], -np.inf)
        ranks.append(np.sum(similarities >= true[:, None], axis=1))
        true_similarity.append(true)
        top_similarity.append(similarities.max(axis=1))
    return np.concatenate(ranks), np.concatenate(true_similarity), np.concatenate(top_similarity)


def identification_rank_k(embeddings, labels, ks, seed=0, batch_size=1024):
    """Closed-set identification: how often a probe's identity ranks in the top k of the gallery.

    The gallery holds one image per identity, picked by `seed`; every other image is a probe and
    is ranked against the whole gallery by cosine similarity. Identities with one image serve as
    distractors. A gallery image tying with the true one counts as ranked above it, so constant
    embeddings score no better than chance.

    Returns {k: fraction of probes whose identity ranks k or better}.

    Example:
        >>> embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.2, 0.9]])
        >>> identification_rank_k(embeddings, np.array([1, 1, 2, 2]), ks=(1,))
        {1: 1.0}
    """
    embeddings, labels = _check_embeddings(embeddings, labels, "identification")
    _check_ks(ks)
    # Shuffling before a stable sort by label makes each identity's first image a random one.
    shuffled = np.random.default_rng(seed).permutation(len(labels))
    order = shuffled[np.argsort(labels[shuffled], kind="stable")]
    identities, first = np.unique(labels[order], return_index=True)
    gallery = order[first]
    probes = np.setdiff1d(np.arange(len(labels)), gallery)
    if len(probes) == 0:
        raise ValueError(
            f"identification needs an identity with at least 2 images; all {len(identities)} have one"
        )
    ranks, _, _ = search(embeddings[probes], embeddings[gallery], np.searchsorted(identities, labels[probes]),
                         batch_size)
    return {k: float(np.mean(ranks <= k)) for k in ks}


def open_set_identification(probes, probe_labels, gallery, gallery_labels, ks, fpirs, batch_size=1024):
    """Rank-k over mated searches, and the threshold and TPIR at each FPIR, of probes searched in a gallery.

    The gallery enrols each identity once (as IJB's galleries do: one template per subject);
    probes of identities not in it are the non-mated searches. An FPIR is measurable only with at
    least ceil(1 / FPIR) non-mated searches; such entries say so instead of holding a number, as
    `metrics.tar_at_far` does.

    Returns dict(rank {k: rate}, tpir {fpir: rate or why not}, threshold {fpir: similarity or None},
    num_mated_searches, num_nonmated_searches, gallery_size).
    """
    probes, probe_labels = _check_embeddings(probes, probe_labels, "probes")
    gallery, gallery_labels = _check_embeddings(gallery, gallery_labels, "gallery")
    _check_ks(ks)
    if probes.shape[1] != gallery.shape[1]:
        raise ValueError(f"expected probes and gallery of one dimension, got {probes.shape[1]} and {gallery.shape[1]}")
    enrolled, counts = np.unique(gallery_labels, return_counts=True)
    if len(enrolled) == 0 or counts.max() > 1:
        raise ValueError(f"gallery: expected each identity enrolled once, got {len(gallery_labels)} entries "
                         f"with repeated identities {enrolled[counts > 1][:5].tolist()}")
    order = np.argsort(gallery_labels)
    position = np.minimum(np.searchsorted(gallery_labels[order], probe_labels), len(order) - 1)
    mated = gallery_labels[order][position] == probe_labels
    if not mated.any():
        raise ValueError(f"open-set identification needs a probe of an enrolled identity; none of the "
                         f"{len(probe_labels)} probes is among the {len(gallery_labels)} enrolled")
    true_column = np.where(mated, order[position], -1)
    ranks, true_similarity, top_similarity = search(probes, gallery, true_column, batch_size)
    mated_ranks, nonmated_top = ranks[mated], top_similarity[~mated]
    answered_rightly = true_similarity[mated][mated_ranks == 1]
    tpir, threshold = {}, {}
    for fpir in fpirs:
        needed = metrics.negative_pairs_needed(fpir)
        if len(nonmated_top) < needed:
            tpir[fpir] = f"not measurable: needs {needed} non-mated searches, have {len(nonmated_top)}"
            threshold[fpir] = None
            continue
        # Non-mated searches play the different-identity pairs; the mated searches' true scores
        # the same-identity ones (they only place the threshold's margin).
        scores = np.r_[true_similarity[mated], nonmated_top]
        is_same = np.r_[np.ones(int(mated.sum()), bool), np.zeros(len(nonmated_top), bool)]
        threshold[fpir] = operating_point.threshold_for_far(scores, is_same, fpir)
        tpir[fpir] = float(np.sum(answered_rightly >= threshold[fpir]) / len(mated_ranks))
    return {
        "rank": {k: float(np.mean(mated_ranks <= k)) for k in ks},
        "tpir": tpir,
        "threshold": threshold,
        "num_mated_searches": int(mated.sum()),
        "num_nonmated_searches": int(len(nonmated_top)),
        "gallery_size": int(len(gallery_labels)),
    }
