"""IJB-B / IJB-C templates: one embedding for each set of photos and video frames of one person.

A template holds faces from several media (a photo, or the frames of one video). As insightface's
`recognition/arcface_torch/eval_ijbc.py` does it (its test modes F2, D1, N1): each face's
embedding is added to its mirror image's (flip-sum), optionally multiplied by the detector's
score for the face (so that doubtful detections weigh less), the faces of one medium in the
template are averaged, the media of the template are summed, and the sum is scaled to length 1.
Per-face norms are kept, not normalised away, as in that script. Vectorised: one sort, two
`np.add.reduceat`s, so IJB-C's 227,630 faces in 23,124 templates take well under a second.

Example:
    >>> faces = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    >>> ids, units = template_embeddings(faces, templates=[7, 7, 9], medias=[1, 2, 3])
    >>> ids.tolist(), units.round(3).tolist()
    ([7, 9], [[0.949, 0.316], [0.0, 1.0]])
    >>> pair_similarities(ids, units, [7], [9]).round(3).tolist()
    [0.316]
"""

import numpy as np

from verification.metrics import unit_rows

PAIR_BATCH_SIZE = 100_000  # pairs scored at once: IJB-C's 15.7 million at 512-d would need 32 GB


def template_embeddings(embeddings, templates, medias, flipped=None, detector_scores=None):
    """(template ids ascending, [T, dim] unit template embeddings) of faces listed with their template and medium.

    `embeddings` [N, dim] are the faces' embeddings as the model gives them; `flipped` [N, dim]
    the embeddings of their mirror images (added when given); `detector_scores` [N] weigh each
    face when given. A medium appearing in two templates is averaged within each separately.
    """
    embeddings = np.asarray(embeddings)
    templates, medias = np.asarray(templates), np.asarray(medias)
    if embeddings.ndim != 2 or templates.shape != (len(embeddings),) or medias.shape != templates.shape:
        raise ValueError(f"expected embeddings [N, dim] and templates, medias [N], got {embeddings.shape}, "
                         f"{templates.shape} and {medias.shape}")
    if len(embeddings) == 0:
        raise ValueError("expected at least one face to build templates from, got none")
    features = embeddings.astype(np.result_type(embeddings, np.float32))
    if flipped is not None:
        flipped = np.asarray(flipped)
        if flipped.shape != embeddings.shape:
            raise ValueError(f"flipped: expected the embeddings' shape {embeddings.shape}, got {flipped.shape}")
        features = features + flipped
    if detector_scores is not None:
        detector_scores = np.asarray(detector_scores, dtype=features.dtype)
        if detector_scores.shape != templates.shape:
            raise ValueError(f"detector_scores: expected one per face, {templates.shape}, got {detector_scores.shape}")
        features = features * detector_scores[:, None]

    order = np.lexsort((medias, templates))
    template_of, media_of = templates[order], medias[order]
    media_start = np.flatnonzero(np.r_[True, (template_of[1:] != template_of[:-1]) | (media_of[1:] != media_of[:-1])])
    media_size = np.diff(np.r_[media_start, len(order)])
    media_means = np.add.reduceat(features[order], media_start, axis=0) / media_size[:, None]
    media_template = template_of[media_start]
    template_start = np.flatnonzero(np.r_[True, media_template[1:] != media_template[:-1]])
    return media_template[template_start], unit_rows(np.add.reduceat(media_means, template_start, axis=0))


def rows_of(template_ids, wanted, what: str = "templates"):
    """Row numbers in `template_ids` (ascending, from template_embeddings) of the `wanted` ids.

    Raises ValueError naming a few ids that have no template (no face lists them).
    """
    template_ids, wanted = np.asarray(template_ids), np.asarray(wanted)
    rows = np.minimum(np.searchsorted(template_ids, wanted), len(template_ids) - 1)
    missing = template_ids[rows] != wanted
    if missing.any():
        raise ValueError(f"{what}: {int(missing.sum())} id(s) have no face, e.g. "
                         f"{np.unique(wanted[missing])[:5].tolist()}; expected every template to have faces")
    return rows


def pair_similarities(template_ids, units, first, second, batch_size: int = PAIR_BATCH_SIZE):
    """Cosine similarity of each template pair (first[i], second[i]), by ids, in batches."""
    first = rows_of(template_ids, first, "pairs' first templates")
    second = rows_of(template_ids, second, "pairs' second templates")
    if first.shape != second.shape:
        raise ValueError(f"expected as many first as second templates, got {first.shape} and {second.shape}")
    scores = np.empty(len(first), dtype=units.dtype)
    for start in range(0, len(first), batch_size):
        batch = slice(start, start + batch_size)
        scores[batch] = np.einsum("ij,ij->i", units[first[batch]], units[second[batch]])
    return scores
