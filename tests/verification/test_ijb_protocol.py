"""IJB templates and open-set identification against the loop-and-dict reference (tests/verification/ijb_reference.py):
the modules under test are vectorised; both must agree to float precision."""

import numpy as np
import pytest

from tests.verification import ijb_reference
from verification import identification, templates


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
    reference = ijb_reference.templates(embeddings, flipped, scores, template_of, media_of)

    assert ids.tolist() == sorted(reference)
    np.testing.assert_allclose(units, np.stack([reference[template] for template in ids]), atol=1e-6)
    # Few pairs of many templates are gathered, many pairs of few templates multiplied out.
    for num_pairs, first_ids in ((50, ids), (2000, ids[:5])):
        first, second = rng.choice(first_ids, size=num_pairs), rng.choice(ids, size=num_pairs)
        expected = [float(reference[a] @ reference[b]) for a, b in zip(first, second)]
        for block_size in (7, 100, templates.BLOCK_SIZE):
            np.testing.assert_allclose(templates.pair_similarities(ids, units, first, second, block_size), expected,
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
        reference = ijb_reference.open_set(probes, probe_labels, gallery, enrolled, (1, 5), (0.01, 0.1))
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
