"""identification_rank_k: one gallery image per identity, every other image a probe."""

import numpy as np
import pytest

from verification.identification import identification_rank_k


def _at_degrees(*angles):
    radians = np.deg2rad(angles)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1)


def test_hand_computed_ranks_whichever_image_is_in_the_gallery():
    # "a" at 0 and 60 degrees (cosine 0.5), whichever is the probe; distractor "b" at 30 degrees
    # is closer to it (0.87), "c" at 210 degrees farther, so "a" ranks 2nd. "e" has two identical
    # images at 270 degrees and ranks 1st.
    embeddings = _at_degrees(0, 60, 30, 210, 270, 270)
    labels = np.array(["a", "a", "b", "c", "e", "e"])
    for seed in range(4):
        result = identification_rank_k(embeddings, labels, ks=(1, 2, 5), seed=seed)
        assert result == {1: 0.5, 2: 1.0, 5: 1.0}


def test_ties_count_against_the_probe():
    # Zero embeddings score 0 against everything: the true identity ties with all 3 gallery images.
    embeddings = np.zeros((4, 8))
    result = identification_rank_k(embeddings, np.array([1, 1, 2, 3]), ks=(1, 2, 3))
    assert result == {1: 0.0, 2: 0.0, 3: 1.0}


def test_clustered_embeddings_identify_well_and_batches_do_not_change_the_result():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 32))
    labels = np.repeat(np.arange(40), 5)
    embeddings = centres[labels] + rng.normal(scale=0.6, size=(200, 32))
    whole = identification_rank_k(embeddings, labels, ks=(1, 5), seed=1)
    batched = identification_rank_k(embeddings, labels, ks=(1, 5), seed=1, batch_size=7)

    assert whole == batched
    assert 0.9 < whole[1] <= whole[5] == 1.0


def test_the_gallery_choice_follows_the_seed():
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(30), 4)
    embeddings = rng.normal(size=(120, 4))  # no structure: results depend on the gallery draw
    results = [identification_rank_k(embeddings, labels, ks=(1,), seed=seed)[1] for seed in range(5)]

    assert identification_rank_k(embeddings, labels, ks=(1,), seed=0)[1] == results[0]
    assert len(set(results)) > 1


@pytest.mark.parametrize(
    "embeddings, labels, ks, message",
    [
        (np.ones((3, 2)), [1, 2, 3], (1,), "identity with at least 2 images; all 3 have one"),
        (np.ones((3, 2)), [1, 1], (1,), r"got \(3, 2\) and \(2,\)"),
        (np.ones(3), [1, 1, 2], (1,), r"got \(3,\) and \(3,\)"),
        (np.ones((3, 2)), [1, 1, 2], (0, 1), r"ks: expected positive integers, got \(0, 1\)"),
    ],
)
def test_rejects_bad_input(embeddings, labels, ks, message):
    with pytest.raises(ValueError, match=message):
        identification_rank_k(embeddings, np.array(labels), ks=ks)
