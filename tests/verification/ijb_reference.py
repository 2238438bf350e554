"""IJB-B / IJB-C figures computed the slow, obvious way, to check verification/ and the evaluator against.

It follows insightface's eval_ijbc.py / ijb_evals.py step by step, per template, per medium, per
probe, with this project's conventions: a pair or search is accepted iff its similarity >= the
threshold; a gallery entry tying with the true one ranks above it; at most floor(rate * N) of the
N negatives are accepted at a rate, the threshold halfway to the next higher score.
"""

import collections

import numpy as np


def templates(embeddings, flipped, scores, template_of, media_of):
    """{template: unit vector}: each face's embedding plus its mirror image's, times its detector
    score, averaged per medium of the template, the media summed, scaled to length 1."""
    features = {}
    for index in range(len(embeddings)):
        face = (embeddings[index] + flipped[index]) * scores[index]
        features.setdefault(template_of[index], collections.defaultdict(list))[media_of[index]].append(face)
    result = {}
    for template, media in features.items():
        total = sum(np.mean(faces, axis=0) for faces in media.values())
        result[template] = total / np.sqrt(np.sum(total ** 2))
    return result


def open_set(probes, probe_labels, gallery, gallery_labels, ks, fpirs):
    """ijb_evals.py's evaluation_1N by loops, with this project's conventions: ties rank above the
    true entry, "answered" iff top similarity >= threshold, at most floor(FPIR * N) non-mated
    searches answered, the threshold halfway to the next higher score."""
    unit = lambda rows: rows / np.linalg.norm(rows, axis=1, keepdims=True)
    similarity = unit(probes) @ unit(gallery).T
    mated_ranks, mated_true, right_first, nonmated_top = [], [], [], []
    for row, label in zip(similarity, probe_labels):
        if label in list(gallery_labels):
            true = row[list(gallery_labels).index(label)]
            rank = sum(1 for value in row if value >= true)
            mated_ranks.append(rank)
            mated_true.append(true)
            right_first.append(rank == 1)
        else:
            nonmated_top.append(max(row))
    result = {"rank": {k: sum(rank <= k for rank in mated_ranks) / len(mated_ranks) for k in ks}, "tpir": {}}
    descending = sorted(nonmated_top, reverse=True)
    for fpir in fpirs:
        allowed = int(np.floor(fpir * len(descending) + 1e-9))
        highest_rejected = descending[allowed]
        higher = [value for value in mated_true + nonmated_top if value > highest_rejected]
        threshold = (highest_rejected + min(higher)) / 2
        hits = sum(1 for true, first in zip(mated_true, right_first) if first and true >= threshold)
        result["tpir"][fpir] = hits / len(mated_ranks)
    return result


def tar_at_far(scores, labels, far):
    """The highest TAR of any threshold whose FAR is at most `far`, trying every score as the threshold."""
    positives = [score for score, label in zip(scores, labels) if label]
    negatives = [score for score, label in zip(scores, labels) if not label]
    best = 0.0
    for threshold in sorted(set(scores)):
        if sum(score >= threshold for score in negatives) <= far * len(negatives) + 1e-9:
            best = max(best, sum(score >= threshold for score in positives) / len(positives))
    return best
