"""The eval split scored all-vs-all: TAR down to a FAR of 1e-6, the operating point, per-group rates.

The protocol is verification/'s (all_pairs, identity_bootstrap, groups); this module turns it into
the evaluator's report: `all_pairs` (TAR at each of catalog.ALL_PAIRS_FARS the pairs resolve, with
identity-bootstrap intervals), the operating point chosen over all pairs, and `groups` (FAR and
FRR within and across the groups of each attribute the eval records carry, at the shipped threshold).

Example:
    >>> scored = EveryPair(embeddings, labels, far=1e-3, replicates=200, seed=0)
    >>> scored.metrics()["tar_at_far_1e-4"], scored.operating_point(1e-3)["pairs"]
    (0.912, 'eval, every pair')
"""

from typing import Dict, Mapping, Optional

import numpy as np

from components.embedding_evaluator import report
from components.embedding_evaluator.catalog import ALL_PAIRS_FARS, EVAL_PAIRS, interval_key, tar_key
from verification import all_pairs, groups, identity_bootstrap, operating_point

WHERE = f"{EVAL_PAIRS}, every pair"  # the operating point's `pairs` when chosen over all of them


class EveryPair:
    """Every pair of the eval faces scored once; the exact tail reaches the operating point's FAR."""

    def __init__(self, embeddings: np.ndarray, labels: np.ndarray, far: Optional[float], replicates: int, seed: int):
        # The tail must hold the operating point's false accepts (the group rates and intervals need
        # their faces) and the lowest FAR reported: whichever needs more pairs.
        self.scored = all_pairs.score_all_pairs(embeddings, labels, tail_far=max(far or 0, min(ALL_PAIRS_FARS.values())))
        self.bootstrap = identity_bootstrap.IdentityBootstrap(self.scored.identity, replicates, seed)
        self.method = f"bootstrap over identities ({replicates} replicates, seed {seed})"

    def metrics(self) -> dict:
        """TAR at each FAR (or why the pairs cannot resolve it) and its interval, and the pair counts."""
        tars = self.scored.tar_at_far(ALL_PAIRS_FARS.values())
        intervals = self.bootstrap.tar_at_far(self.scored, [far for far in ALL_PAIRS_FARS.values()
                                                            if not isinstance(tars[far], str)])
        result = {report.NUM_IMPOSTOR_PAIRS: self.scored.num_impostors, report.NUM_GENUINE_PAIRS: self.scored.num_genuine,
                  report.EXACT_TO_FAR: self.scored.exact_far, report.INTERVALS: self.method}
        for name, far in ALL_PAIRS_FARS.items():
            result[tar_key(name)] = tars[far]
            if far in intervals:
                result[interval_key(tar_key(name))] = intervals[far]
        return result

    def operating_point(self, far: float) -> dict:
        """The threshold for `far` over all pairs, its rates with identity-bootstrap intervals, or {"refused": why}."""
        try:
            point = self.scored.operating_point(far)
        except operating_point.UnresolvableFar as error:
            return {report.REFUSED: f"{WHERE}: {error}", "target_far": far, "pairs": WHERE}
        return {**point.as_dict(), **self.bootstrap.far_frr(self.scored, point.threshold), "pairs": WHERE,
                report.INTERVALS: self.method}

    def groups(self, attributes: Mapping[str, np.ndarray], threshold: float) -> Dict[str, dict]:
        """{attribute: group_rates at `threshold`, or {"refused": why}} for each attribute column [N]."""
        result = {}
        for name, values in sorted(attributes.items()):
            values = np.array([value.decode() if isinstance(value, bytes) else str(value) for value in values])
            try:
                result[name] = groups.group_rates(self.scored, values, threshold, self.bootstrap)
            except ValueError as error:
                result[name] = {report.REFUSED: str(error)}
        return result
