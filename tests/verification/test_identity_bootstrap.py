"""Intervals by a bootstrap over identities, and per-group rates, checked against listed pairs."""

import numpy as np
import pytest

from verification import all_pairs, groups, identity_bootstrap, metrics, operating_point


def _faces(num_identities=40, per_identity=6, dim=16, lookalike=False, seed=0):
    """Identities around their own centres; with `lookalike`, identity 0 sits near everyone's mean."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(num_identities), per_identity)
    centres = 2 * rng.standard_normal((num_identities, dim)) + 1.0
    if lookalike:
        centres[0] = centres[1:].mean(axis=0)
    return centres[labels] + 0.8 * rng.standard_normal((len(labels), dim)), labels


def _listed(embeddings, labels):
    unit = metrics.unit_rows(embeddings.astype(np.float32))
    first, second = np.triu_indices(len(labels), k=1)
    return np.einsum("ij,ij->i", unit[first], unit[second]), first, second


def test_unit_weights_give_back_the_plain_counts():
    embeddings, labels = _faces()
    scored = all_pairs.score_all_pairs(embeddings, labels)
    bootstrap = identity_bootstrap.IdentityBootstrap(scored.identity, replicates=3)
    bootstrap.weights[:] = 1.0  # the original sample: every identity once
    sizes = np.bincount(scored.identity).astype(float)
    assert bootstrap.impostor_totals(sizes) == pytest.approx(np.full(3, scored.num_impostors))
    point = scored.operating_point(1e-2)
    accepted = scored.tail_images[scored.tail_scores >= point.threshold]
    assert bootstrap.impostor_rate(accepted, bootstrap.impostor_totals(sizes)) == pytest.approx([point.far] * 2)
    assert bootstrap.far_frr(scored, point.threshold)["frr_interval"] == pytest.approx([point.frr] * 2)


def test_intervals_are_seeded_hold_the_estimate_and_widen_when_one_person_makes_the_false_accepts():
    embeddings, labels = _faces(lookalike=True)
    scored = all_pairs.score_all_pairs(embeddings, labels)
    point = scored.operating_point(1e-2)
    first = identity_bootstrap.IdentityBootstrap(scored.identity, replicates=300, seed=5)
    intervals = first.far_frr(scored, point.threshold)
    assert intervals == identity_bootstrap.IdentityBootstrap(scored.identity, replicates=300, seed=5).far_frr(
        scored, point.threshold)
    low, high = intervals["far_interval"]
    assert low <= point.far <= high
    accepted = scored.tail_images[scored.tail_scores >= point.threshold]
    lookalike_share = np.mean((labels[accepted] == 0).any(axis=1))
    binomial_low, binomial_high = point.far_interval
    print(f"\nFAR {point.far:.4f}: identity bootstrap [{low:.4f}, {high:.4f}], Clopper-Pearson "
          f"[{binomial_low:.4f}, {binomial_high:.4f}]; identity 0 is in {lookalike_share:.0%} of the false accepts")
    assert lookalike_share > 0.15  # 3 times the 5% of impostor pairs identity 0 takes part in
    assert high - low > 3 * (binomial_high - binomial_low)
    tar_low, tar_high = first.tar_at_far(scored, [1e-2])[1e-2]
    assert tar_low <= point.tar <= tar_high


def test_group_rates_count_the_pairs_within_and_across_groups():
    embeddings, labels = _faces(num_identities=24, seed=3)
    scores, first, second = _listed(embeddings, labels)
    # Per image: identities 0-11 in "a" or "b" by identity, identities 12+ split by image (half "c").
    group = np.where(labels < 12, np.where(labels % 2, "a", "b"), np.where(np.arange(len(labels)) % 2, "c", "b"))
    group[5] = ""  # an image without the attribute belongs to no group
    scored = all_pairs.score_all_pairs(embeddings, labels)
    threshold = scored.operating_point(1e-2).threshold
    bootstrap = identity_bootstrap.IdentityBootstrap(scored.identity, replicates=50)
    rates = groups.group_rates(scored, group, threshold, bootstrap)
    assert sorted(rates["within"]) == ["a", "b", "c"]
    same, accepted = labels[first] == labels[second], scores >= threshold
    for name, entry in [*rates[groups.WITHIN].items(), *rates[groups.ACROSS].items()]:
        left, right = name.split(groups.JOIN) if groups.JOIN in name else (name, name)
        chosen = (((group[first] == left) & (group[second] == right))
                  | ((group[first] == right) & (group[second] == left)))
        assert entry["impostor_pairs"] == (chosen & ~same).sum(), name
        assert entry["false_accepts"] == (chosen & ~same & accepted).sum(), name
        assert entry["genuine_pairs"] == (chosen & same).sum(), name
        assert entry["false_rejects"] == (chosen & same & ~accepted).sum(), name
        if entry["far"] is not None and entry["far_interval"] is not None:
            assert entry["far_interval"][0] <= entry["far"] <= entry["far_interval"][1]
    assert rates["across"]["b|c"]["genuine_pairs"] > 0  # one person's images in two groups


def test_group_rates_refuse_a_threshold_beyond_the_exact_tail():
    embeddings, labels = _faces()
    scored = all_pairs.score_all_pairs(embeddings, labels, tail_far=1e-3, min_exact=5)
    with pytest.raises(ValueError, match="per-group rates need each false accept's faces"):
        groups.group_rates(scored, np.where(labels % 2, "a", "b"), scored.threshold_for_far(1e-1))
    with pytest.raises(ValueError, match="at least 2"):
        identity_bootstrap.IdentityBootstrap(scored.identity, replicates=1)
    assert operating_point.CONFIDENCE == identity_bootstrap.IdentityBootstrap(scored.identity).confidence
