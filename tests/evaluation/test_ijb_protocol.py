"""IJB templates and open-set identification against a reference written here with loops and dicts.

The reference follows insightface's eval_ijbc.py / ijb_evals.py step by step (per template, per
medium, per probe); the modules under test are vectorised. Both must agree to float precision.
"""

import collections

import numpy as np
import pytest

from verification import identification, templates


def _reference_templates(embeddings, flipped, scores, template_of, media_of):
    features = {}
    for index in range(len(embeddings)):
        face = (embeddings[index] + flipped[index]) * scores[index]
        features.setdefault(template_of[index], collections.defaultdict(list))[media_of[index]].append(face)
    result = {}
    for template, media in features.items():
        total = sum(np.mean(faces, axis=0) for faces in media.values())
        result[template] = total / np.sqrt(np.sum(total ** 2))
    return result


def _faces(rng, num_faces=300, dim=16, num_templates=40):
    embeddings = rng.normal(size=(num_faces, dim))
    flipped = embeddings + rng.normal(scale=0.3, size=(num_faces, dim))
    template_of = rng.integers(0, num_templates, size=num_faces) * 7 + 3  # ids need not be dense
    media_of = rng.integers(0, 5, size=num_faces)  # media shared across templates are kept apart
    return embeddings, flipped, rng.uniform(0.5, 1.0, size=num_faces), template_of, media_of


def test_templates_match_the_reference_and_pairs_score_by_id():
    rng = np.random.default_rng(0)
    embeddings, flipped, scores, template_of, media_of = _faces(rng)
    ids, units = templates.template_embeddings(embeddings, template_of, media_of, flipped, scores)
    reference = _reference_templates(embeddings, flipped, scores, template_of, media_of)

    assert ids.tolist() == sorted(reference)
    np.testing.assert_allclose(units, np.stack([reference[template] for template in ids]), atol=1e-6)
    first, second = rng.choice(ids, size=50), rng.choice(ids, size=50)
    expected = [float(reference[a] @ reference[b]) for a, b in zip(first, second)]
    np.testing.assert_allclose(templates.pair_similarities(ids, units, first, second, batch_size=7), expected,
                               atol=1e-6)


def test_without_flip_or_scores_a_single_face_template_is_its_unit_embedding():
    ids, units = templates.template_embeddings(np.array([[3.0, 4.0], [1.0, 0.0], [1.0, 0.0]]), [5, 6, 6],
                                               [1, 1, 2])
    assert ids.tolist() == [5, 6]
    np.testing.assert_allclose(units, [[0.6, 0.8], [1.0, 0.0]])


def test_faces_of_one_medium_are_averaged_before_media_are_summed():
    # Two frames of one video and one photo: the video counts once, as the photo does.
    ids, units = templates.template_embeddings(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), [1, 1, 1], [9, 9, 4])
    np.testing.assert_allclose(units, [[np.sqrt(0.5), np.sqrt(0.5)]])


@pytest.mark.parametrize("call, message", [
    (lambda: templates.template_embeddings(np.ones((3, 2)), [1, 2], [1, 1, 1]), r"templates, medias \[N\]"),
    (lambda: templates.template_embeddings(np.ones((2, 2)), [1, 2], [1, 1], flipped=np.ones((2, 3))), "flipped"),
    (lambda: templates.pair_similarities(np.array([1, 4]), np.eye(2), [1, 2], [4, 4]),
     r"pairs' first templates: 1 id\(s\) have no face, e.g. \[2\]"),
])
def test_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _reference_open_set(probes, probe_labels, gallery, gallery_labels, ks, fpirs):
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


def test_open_set_identification_matches_the_reference_per_gallery():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(60, 16))
    # Two disjoint galleries of 30 people each, as IJB-C's G1 and G2; probes of all 60 people
    # and of 40 never enrolled anywhere.
    probe_labels = np.r_[np.repeat(np.arange(60), 4), 100 + np.arange(40)]
    probes = np.r_[centres[np.repeat(np.arange(60), 4)], rng.normal(size=(40, 16))]
    probes = probes + rng.normal(scale=0.9, size=probes.shape)
    for enrolled in (np.arange(30), np.arange(30, 60)):
        gallery = centres[enrolled] + rng.normal(scale=0.5, size=(30, 16))
        result = identification.open_set_identification(probes, probe_labels, gallery, enrolled, ks=(1, 5),
                                                         fpirs=(0.01, 0.1), batch_size=13)
        reference = _reference_open_set(probes, probe_labels, gallery, enrolled, (1, 5), (0.01, 0.1))
        assert result["num_mated_searches"] == 120 and result["num_nonmated_searches"] == 160
        assert result["rank"] == pytest.approx(reference["rank"])
        assert result["tpir"] == pytest.approx(reference["tpir"])
        assert 0 < result["tpir"][0.01] < result["tpir"][0.1] <= result["rank"][1] < result["rank"][5] < 1


def test_an_fpir_needing_more_nonmated_searches_says_so():
    result = identification.open_set_identification(np.eye(3), [0, 1, 9], np.eye(3)[:2], [0, 1], ks=(1,),
                                                    fpirs=(0.01,))
    assert result["tpir"] == {0.01: "not measurable: needs 100 non-mated searches, have 1"}
    assert result["threshold"] == {0.01: None} and result["rank"] == {1: 1.0}


@pytest.mark.parametrize("gallery_labels, probe_labels, message", [
    ([1, 1], [1, 2], r"each identity enrolled once, got 2 entries with repeated identities \[1\]"),
    ([1, 2], [3, 4], "needs a probe of an enrolled identity"),
])
def test_open_set_refuses_bad_galleries(gallery_labels, probe_labels, message):
    with pytest.raises(ValueError, match=message):
        identification.open_set_identification(np.eye(2), probe_labels, np.eye(2), gallery_labels, (1,), (0.1,))
