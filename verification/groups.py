"""False-accept and false-reject rates per group of faces, at one threshold, over all pairs.

A model that is fine on average can falsely accept the people of one group ten times as often as
another (NIST's demographic-effects reports, FRVT part 3). Groups come from an attribute of each
image (e.g. a region or an age band, given per identity or per image by the converters'
`--attributes` CSV): within a group, its impostor pairs (both faces in it) and genuine pairs;
across two groups, the pairs with one face in each. Counts are over every pair
(`all_pairs.score_all_pairs`), so the threshold's false accepts must lie in its exact tail.
Intervals come from the identity bootstrap (identity_bootstrap.py) when one is given.

Example:
    >>> rates = group_rates(scored, np.array(["a", "a", "b", "b", ...]), threshold=0.41)
    >>> rates["within"]["b"]["far"], rates["across"]["a|b"]["far"]
    (0.0021, 0.00004)
"""

from typing import Dict, Optional

import numpy as np

from verification import all_pairs, identity_bootstrap

WITHIN, ACROSS = "within", "across"  # the result's two parts
JOIN = "|"  # "a|b" in ACROSS: the pairs with one face in group a and one in group b


def _rates(accepted_groups, accepted_count_totals, genuine_mask, rejected, bootstrap, scored, totals,
           accepted_images):
    """One group's (or two groups') counts, rates and intervals."""
    false_accepts, impostor_pairs = int(accepted_groups.sum()), float(accepted_count_totals)
    genuine_pairs, false_rejects = int(genuine_mask.sum()), int((genuine_mask & rejected).sum())
    entry = {
        "far": false_accepts / impostor_pairs if impostor_pairs else None,
        "false_accepts": false_accepts,
        "impostor_pairs": int(impostor_pairs),
        "frr": false_rejects / genuine_pairs if genuine_pairs else None,
        "false_rejects": false_rejects,
        "genuine_pairs": genuine_pairs,
    }
    if bootstrap is not None:
        entry["far_interval"] = (bootstrap.impostor_rate(accepted_images[accepted_groups], totals)
                                 if impostor_pairs else None)
        entry["frr_interval"] = (bootstrap.genuine_rate(scored.genuine_images[genuine_mask],
                                                        rejected[genuine_mask]) if genuine_pairs else None)
    return entry


def group_rates(scored: all_pairs.AllPairs, groups, threshold: float,
                bootstrap: Optional[identity_bootstrap.IdentityBootstrap] = None) -> Dict[str, dict]:
    """FAR and FRR of `threshold` within each group of `groups` [N] (one value per image; "" for none)
    and across each two groups: {"within": {group: rates}, "across": {"a|b": rates}}."""
    groups = np.asarray(groups).astype(str)
    if groups.shape != scored.identity.shape:
        raise ValueError(f"groups: expected one value per image, {scored.identity.shape}, got {groups.shape}")
    if not scored.tail_holds(threshold):
        raise ValueError(
            f"threshold {threshold:.4f} accepts more impostor pairs than the {len(scored.tail_scores)} kept with "
            f"their images (down to a FAR of {scored.exact_far:.2g}): per-group rates need each false accept's "
            "faces; score the pairs with a larger tail_far")
    names, group = np.unique(groups, return_inverse=True)
    known = names != ""
    num_identities = int(scored.identity.max()) + 1
    members = np.zeros((len(names), num_identities))  # images per group and identity
    np.add.at(members, (group, scored.identity), 1)

    accepted_images = scored.tail_images[scored.tail_scores >= threshold]
    accepted = np.sort(group[accepted_images], axis=1)
    genuine = np.sort(group[scored.genuine_images], axis=1)
    rejected = scored.genuine_scores < threshold
    result = {WITHIN: {}, ACROSS: {}}
    for first in np.flatnonzero(known):
        for second in np.flatnonzero(known)[np.flatnonzero(known) >= first]:
            left, right = members[first], members[second]
            if first == second:
                impostor_pairs = (left.sum() ** 2 - (left ** 2).sum()) / 2
                totals = bootstrap.impostor_totals(left) if bootstrap is not None else None
            else:
                impostor_pairs = left.sum() * right.sum() - (left * right).sum()
                totals = bootstrap.impostor_totals(left, right) if bootstrap is not None else None
            in_pair = lambda pairs: (pairs[:, 0] == first) & (pairs[:, 1] == second)  # noqa: E731
            entry = _rates(in_pair(accepted), impostor_pairs, in_pair(genuine), rejected, bootstrap, scored,
                           totals, accepted_images)
            if first == second:
                result[WITHIN][str(names[first])] = entry
            elif entry["impostor_pairs"] or entry["genuine_pairs"]:
                result[ACROSS][f"{names[first]}{JOIN}{names[second]}"] = entry
    return result
