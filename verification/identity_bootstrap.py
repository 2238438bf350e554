"""Confidence intervals by a bootstrap over identities: pairs that share a person are not independent.

All-vs-all scoring pairs every face with every other: a person with 20 photos takes part in
thousands of pairs, and one person who looks like many others can make a large share of the
false accepts. A binomial interval (Clopper-Pearson) treats each pair as an independent trial
and is far too narrow. Here the unit of sampling is the identity, as in Bolle et al.'s "subsets
bootstrap" and the NIST FRVT practice: each replicate draws as many identities as there are,
with replacement (a multinomial weight w_a per identity), and counts every pair with weight
w_a * w_b (impostor) or w_a (genuine); pairs between two copies of one identity are not impostor
pairs. A rate's interval is the (1 - confidence) / 2 and (1 + confidence) / 2 percentiles of its
replicates; the draws are seeded, so a run reproduces its intervals.

Impostor pairs need their identities, so intervals exist where the false accepts lie in the exact
tail kept by `all_pairs.score_all_pairs`; beyond it the interval is None.

Example:
    >>> bootstrap = IdentityBootstrap(scored.identity, replicates=200, seed=0)
    >>> bootstrap.far_frr(scored, threshold=0.41)
    {'far_interval': [2.1e-05, 9.8e-05], 'frr_interval': [0.031, 0.072]}
"""

from typing import Dict, Iterable, List, Optional

import numpy as np

from verification import all_pairs, operating_point

REPLICATES = 200
_CHUNK = 1 << 16  # pairs weighed at a time: bounds the [replicates, pairs] matrix to ~100 MB


def percentile_interval(values: np.ndarray, confidence: float) -> Optional[List[float]]:
    """The central `confidence` interval of the finite replicates, or None when there are none."""
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    tail = (1 - confidence) / 2 * 100
    return [float(v) for v in np.percentile(values, [tail, 100 - tail])]


class IdentityBootstrap:
    """Identity weights of `replicates` bootstrap draws over the identities numbered in `identity` [N]."""

    def __init__(self, identity: np.ndarray, replicates: int = REPLICATES, seed: int = 0,
                 confidence: float = operating_point.CONFIDENCE):
        if replicates < 2:
            raise ValueError(f"replicates: expected at least 2, got {replicates}")
        self.identity = np.asarray(identity)
        self.confidence = confidence
        num_identities = int(self.identity.max()) + 1
        rng = np.random.default_rng(seed)
        self.weights = rng.multinomial(num_identities, np.full(num_identities, 1 / num_identities),
                                       size=replicates).astype(np.float64)

    def _pair_weights(self, images: np.ndarray) -> np.ndarray:
        """[replicates] sums of w_a * w_b over the pairs of `images` [M, 2]."""
        total = np.zeros(len(self.weights))
        for start in range(0, len(images), _CHUNK):
            chunk = self.identity[images[start:start + _CHUNK]]
            total += np.einsum("rp,rp->r", self.weights[:, chunk[:, 0]], self.weights[:, chunk[:, 1]])
        return total

    def impostor_totals(self, left: np.ndarray, right: Optional[np.ndarray] = None) -> np.ndarray:
        """[replicates] weighted impostor pairs between images counted per identity in `left` [I] and
        `right` [I]; without `right`, among the images of `left`."""
        if right is None:
            return ((self.weights @ left) ** 2 - (self.weights ** 2) @ (left ** 2)) / 2
        return (self.weights @ left) * (self.weights @ right) - (self.weights ** 2) @ (left * right)

    def genuine_rate(self, pair_images: np.ndarray, errors: np.ndarray) -> Optional[List[float]]:
        """Interval of the share of genuine pairs `pair_images` [G, 2] flagged in `errors` [G]."""
        per_identity = np.bincount(self.identity[pair_images[:, 0]], minlength=self.weights.shape[1])
        wrong = np.bincount(self.identity[pair_images[errors, 0]], minlength=self.weights.shape[1])
        with np.errstate(invalid="ignore", divide="ignore"):
            return percentile_interval((self.weights @ wrong) / (self.weights @ per_identity), self.confidence)

    def impostor_rate(self, accepted_images: np.ndarray, totals: np.ndarray) -> Optional[List[float]]:
        """Interval of false accepts `accepted_images` [M, 2] over weighted impostor `totals` [replicates]."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return percentile_interval(self._pair_weights(accepted_images) / totals, self.confidence)

    def far_frr(self, scored: all_pairs.AllPairs, threshold: float) -> Dict[str, Optional[List[float]]]:
        """Intervals of the FAR and FRR of `threshold` over all pairs; the FAR's is None beyond the exact tail."""
        sizes = np.bincount(self.identity, minlength=self.weights.shape[1]).astype(np.float64)
        far = None
        if scored.tail_holds(threshold):
            accepted = scored.tail_images[scored.tail_scores >= threshold]
            far = self.impostor_rate(accepted, self.impostor_totals(sizes))
        return {"far_interval": far,
                "frr_interval": self.genuine_rate(scored.genuine_images, scored.genuine_scores < threshold)}

    def tar_at_far(self, scored: all_pairs.AllPairs, fars: Iterable[float]) -> Dict[float, Optional[List[float]]]:
        """{far: interval of the TAR there}, the threshold chosen again in each replicate from its
        weighted impostors; None where too many replicates' thresholds lie beyond the exact tail."""
        fars = list(fars)
        sizes = np.bincount(self.identity, minlength=self.weights.shape[1]).astype(np.float64)
        totals = self.impostor_totals(sizes)
        tail_identity = self.identity[scored.tail_images]
        genuine_identity = self.identity[scored.genuine_images[:, 0]]
        tars = np.full((len(fars), len(self.weights)), np.nan)
        for replicate, weights in enumerate(self.weights):
            accepted = np.cumsum(weights[tail_identity[:, 0]] * weights[tail_identity[:, 1]])
            genuine = np.cumsum(weights[genuine_identity])  # genuine scores are sorted, highest first
            if not genuine[-1]:
                continue  # no sampled identity has two faces: no TAR to measure
            for row, far in enumerate(fars):
                # The strictest cut: the first tail score whose pair would exceed the allowance is rejected.
                cut = int(np.searchsorted(accepted, far * totals[replicate] + 1e-9, side="right"))
                if cut >= len(accepted) and not scored.tail_complete:
                    continue  # this replicate's threshold lies beyond the exact tail
                threshold = scored.tail_scores[cut] if cut < len(accepted) else -np.inf
                above = int(np.searchsorted(-scored.genuine_scores, -threshold, side="left"))  # scores > threshold
                tars[row, replicate] = (genuine[above - 1] if above else 0.0) / genuine[-1]
        return {far: (percentile_interval(row, self.confidence)
                      if np.isnan(row).mean() <= 1 - self.confidence else None)  # too few replicates resolved
                for far, row in zip(fars, tars)}
