"""IJB-B / IJB-C templates: one embedding for each set of photos and video frames of one person.

A template holds faces from several media (a photo, or the frames of one video). As insightface's
`recognition/arcface_torch/eval_ijbc.py` does it (its test modes F2, D1, N1): each face's
embedding is added to its mirror image's (flip-sum), optionally multiplied by the detector's
score for the face (so that doubtful detections weigh less), the faces of one medium in the
template are averaged, the media of the template are summed, and the sum is scaled to length 1.
Per-face norms are kept, not normalised away, as in that script. Vectorised: one sort and one
sparse product for all templates.

Example:
    >>> faces = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    >>> ids, units = template_embeddings(faces, templates=[7, 7, 9], medias=[1, 2, 3])
    >>> ids.tolist(), units.round(3).tolist()
    ([7, 9], [[0.949, 0.316], [0.0, 1.0]])
    >>> pair_similarities(ids, units, [7], [9]).round(3).tolist()
    [0.316]
"""

import numpy as np
from scipy import sparse

from verification.metrics import unit_rows

# Numbers held at once: 2^22 similarities (16 MB), or the rows of that many gathered (2 x 16 MB).
BLOCK_SIZE = 1 << 22
# Products of templates worth computing per pair scored, against gathering each pair's two rows:
# at 512-d a product (BLAS) costs about a twentieth of a gathered pair (bench/ijb.py's sizes).
PRODUCTS_PER_PAIR = 16


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
    weights = np.ones(len(features), dtype=features.dtype)
    if detector_scores is not None:
        weights = np.array(detector_scores, dtype=features.dtype)  # a copy: weighed in place below
        if weights.shape != templates.shape:
            raise ValueError(f"detector_scores: expected one per face, {templates.shape}, got {weights.shape}")

    # A template's sum of its media's means is the sum of its faces, each weighed by 1 / the
    # number of faces of its medium there: one sparse [templates x faces] product (BLAS-like),
    # where summing segments row by row (np.add.reduceat) took 10 times longer.
    template_ids, template_index = np.unique(templates, return_inverse=True)
    order = np.lexsort((medias, template_index))
    sorted_template, sorted_media = template_index[order], medias[order]
    new_group = np.r_[True, (sorted_template[1:] != sorted_template[:-1]) | (sorted_media[1:] != sorted_media[:-1])]
    group = np.cumsum(new_group) - 1
    group_size = np.bincount(group)
    weights[order] = weights[order] / group_size[group]
    combine = sparse.csr_matrix((weights, (template_index, np.arange(len(features)))),
                                shape=(len(template_ids), len(features)))
    return template_ids, unit_rows(combine @ features)


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


def pair_similarities(template_ids, units, first, second, block_size: int = BLOCK_SIZE):
    """Cosine similarity of each template pair (first[i], second[i]), by ids, `block_size` numbers at a time.

    IJB's pairs reuse few templates on each side (IJB-B: 8 million pairs of 1,845 x 10,270
    templates), so the products of every first with every second template, a block of rows at a
    time (BLAS), cost less than gathering two rows per pair; pairs spread over many more templates
    are gathered in batches instead.
    """
    first = rows_of(template_ids, first, "pairs' first templates")
    second = rows_of(template_ids, second, "pairs' second templates")
    if first.shape != second.shape:
        raise ValueError(f"expected as many first as second templates, got {first.shape} and {second.shape}")
    firsts, first_index = np.unique(first, return_inverse=True)
    seconds, second_index = np.unique(second, return_inverse=True)
    scores = np.empty(len(first), dtype=units.dtype)
    if len(firsts) * len(seconds) > PRODUCTS_PER_PAIR * len(first):
        batch_size = max(1, block_size // units.shape[1])
        for start in range(0, len(first), batch_size):
            batch = slice(start, start + batch_size)
            scores[batch] = np.einsum("ij,ij->i", units[first[batch]], units[second[batch]])
        return scores
    rows = max(1, block_size // len(seconds))
    order = np.argsort(first_index, kind="stable")
    block_start = np.searchsorted(first_index[order], np.arange(0, len(firsts) + rows, rows))
    second_units = units[seconds]
    for number, start in enumerate(range(0, len(firsts), rows)):
        products = units[firsts[start:start + rows]] @ second_units.T
        pairs = order[block_start[number]:block_start[number + 1]]
        scores[pairs] = products[first_index[pairs] - start, second_index[pairs]]
    return scores
