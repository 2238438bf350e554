"""All-vs-all scoring in blocks, checked against every pair listed and scored at once (NumPy)."""

import numpy as np
import pytest

from verification import all_pairs, metrics, operating_point


def _faces(num_identities=30, per_identity=8, dim=16, spread=0.9, seed=0):
    """Embeddings around one centre per identity; labels in shuffled order, some identities smaller."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(num_identities), per_identity)[: num_identities * per_identity - 5]
    centres = rng.standard_normal((num_identities, dim))
    embeddings = centres[labels] + spread * rng.standard_normal((len(labels), dim))
    order = rng.permutation(len(labels))
    return embeddings[order], labels[order] * 7 + 3  # labels need not be 0..I-1


def _reference(embeddings, labels):
    unit = metrics.unit_rows(embeddings.astype(np.float32))
    first, second = np.triu_indices(len(labels), k=1)
    scores = np.einsum("ij,ij->i", unit[first], unit[second])
    return scores, labels[first] == labels[second], np.stack([first, second], axis=1)


def test_every_pair_is_scored_once_in_small_blocks():
    embeddings, labels = _faces()
    scores, is_same, pairs = _reference(embeddings, labels)
    scored = all_pairs.score_all_pairs(embeddings, labels, block_rows=17, block_columns=40)
    assert scored.num_impostors == (~is_same).sum() and scored.num_genuine == is_same.sum()
    assert scored.tail_complete and scored.histogram.sum() == scored.num_impostors
    np.testing.assert_allclose(scored.genuine_scores, np.sort(scores[is_same])[::-1], atol=1e-5)
    np.testing.assert_allclose(scored.tail_scores, np.sort(scores[~is_same])[::-1], atol=1e-5)
    # Each pair kept names its two images: its score is theirs, and a genuine pair is one identity.
    unit = metrics.unit_rows(embeddings)
    for kept, images in ((scored.genuine_scores, scored.genuine_images), (scored.tail_scores, scored.tail_images)):
        np.testing.assert_allclose(kept, np.einsum("ij,ij->i", unit[images[:, 0]], unit[images[:, 1]]), atol=1e-5)
    assert (labels[scored.genuine_images[:, 0]] == labels[scored.genuine_images[:, 1]]).all()
    assert (labels[scored.tail_images[:, 0]] != labels[scored.tail_images[:, 1]]).all()


def test_operating_points_and_tars_match_the_listed_pairs():
    embeddings, labels = _faces()
    scores, is_same, _ = _reference(embeddings, labels)
    scored = all_pairs.score_all_pairs(embeddings, labels, block_rows=50, block_columns=64)
    for far in (1e-1, 1e-2, 1e-3, 1e-4):
        expected = operating_point.choose(scores, is_same, far)
        got = scored.operating_point(far)
        assert got.false_accepts == expected.false_accepts and got.false_rejects == expected.false_rejects
        assert got.threshold == pytest.approx(expected.threshold, abs=1e-5)
    fars = (1e-1, 1e-3, 1e-4, 1e-5, 1e-6)
    tars, reference = scored.tar_at_far(fars), metrics.tar_at_far(scores, is_same, fars)
    for far in fars:
        if isinstance(reference[far], str):  # 28,000-odd impostor pairs cannot resolve 1e-5
            assert tars[far].startswith(f"not measurable: a FAR of {far:g} needs")
        else:
            assert tars[far] == pytest.approx(reference[far])


def test_beyond_the_exact_tail_the_histogram_gives_the_lowest_bin_edge_within_the_far():
    embeddings, labels = _faces(seed=1)
    scores, is_same, _ = _reference(embeddings, labels)
    impostors = scores[~is_same]
    scored = all_pairs.score_all_pairs(embeddings, labels, tail_far=1e-3, min_exact=10, block_rows=64,
                                       block_columns=64)
    assert not scored.tail_complete and len(scored.tail_scores) == int(np.ceil(1e-3 * len(impostors))) + 1
    np.testing.assert_allclose(scored.tail_scores, np.sort(impostors)[::-1][: len(scored.tail_scores)], atol=1e-5)
    assert scored.histogram.sum() == len(impostors)
    for far in (1e-1, 1e-2):
        threshold = scored.threshold_for_far(far)
        allowed = np.floor(far * len(impostors))
        assert not scored.tail_holds(threshold)
        assert scored.false_accepts(threshold) == (impostors >= threshold).sum() <= allowed
        one_bin_lower = threshold - 2 / all_pairs.BINS
        assert (impostors >= one_bin_lower).sum() > allowed  # the lowest edge that keeps to the FAR
        assert scored.operating_point(far).tar == pytest.approx(np.mean(scores[is_same] >= threshold))
    # Within the tail, thresholds stay exact.
    exact = operating_point.choose(scores, is_same, 1e-3)
    assert scored.operating_point(1e-3).false_accepts == exact.false_accepts
    assert scored.exact_far >= 1e-3


def test_a_set_that_cannot_be_scored_says_why():
    with pytest.raises(ValueError, match="2 identities"):
        all_pairs.score_all_pairs(np.eye(3), np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="one with 2 images"):
        all_pairs.score_all_pairs(np.eye(3), np.array([1, 2, 3]))
    scored = all_pairs.score_all_pairs(*_faces(num_identities=3, per_identity=4))
    with pytest.raises(operating_point.UnresolvableFar, match="needs at least 1000 different-identity pairs"):
        scored.operating_point(1e-3)


def test_a_threshold_between_neighbouring_float32_scores_stays_between_them():
    # 4.5 million pairs of 8-d faces: the tail's scores are so dense that neighbours are adjacent
    # float32 values, and a float32 midpoint would round onto the highest rejected score.
    rng = np.random.default_rng(0)
    scored = all_pairs.score_all_pairs(rng.standard_normal((3000, 8)), np.arange(3000) // 3, tail_far=1e-2,
                                       min_exact=10)
    for far in (1e-2, 5e-3, 1e-3):
        point = scored.operating_point(far)
        assert scored.tail_holds(point.threshold)
        assert point.false_accepts == np.floor(far * scored.num_impostors)
