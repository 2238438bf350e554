"""All-vs-all verification: every pair of a labelled set scored, in blocks, down to a FAR of 1e-6.

Sampled pairs (metrics.make_pairs) hold as many different-identity pairs as same-identity ones, so
a few thousand at most: about 1e-3 is the lowest false-accept rate (FAR) they resolve. Access
control and search work at 1e-4 to 1e-6, which needs 1e4 to 1e6 different-identity pairs per
false accept counted. A set of N faces holds about N^2 / 2 pairs (5e9 for 100k faces), too many
to keep: `score_all_pairs` computes them block by block (a float32 BLAS matmul of L2-normalised
embeddings, `BLOCK_ROWS` x `BLOCK_COLUMNS` scores at a time) and keeps

- every same-identity (genuine) pair's score, with its two images;
- the highest different-identity (impostor) scores exactly, with their two images: enough for the
  lowest FAR asked for (`tail_far`: ceil(tail_far * impostors) + 1 of them), at least
  `min_exact` (all of them in a set of up to ~1400 faces);
- a histogram of every impostor score in `BINS` bins over [-1, 1] (width 3e-5).

A threshold whose false accepts lie in the exact tail is exact, as `operating_point` chooses it
("same" iff similarity >= threshold, at most floor(far * impostors) accepted); beyond it the
threshold is a bin edge and its FAR is counted from the histogram, exact for that edge and at most
the target (`AllPairs.exact_far` says where that starts). Identity bootstrap intervals
(`verification/identity_bootstrap.py`) need the pairs, so they exist within the tail only.

Example:
    >>> scored = score_all_pairs(embeddings, labels, tail_far=1e-4)   # 2,000 faces of 200 people
    >>> scored.num_impostors, scored.num_genuine
    (1989000, 9000)
    >>> point = scored.operating_point(1e-4)   # at most 198 of the 1,989,000 accepted
    >>> scored.tar_at_far([1e-6, 1e-4])[1e-6]
    'not measurable: needs 1000000 negative pairs, have 1989000 ...'
"""

import dataclasses
import math
from typing import Dict, Iterable, Optional

import numpy as np

from verification import metrics, operating_point

BINS = 1 << 16  # histogram bins over [-1, 1]: 3.1e-5 of cosine each, 512 KiB of counts
_HALF_BINS = float(BINS // 2)  # a power of two: scaling scores by it is exact in floating point
BLOCK_ROWS, BLOCK_COLUMNS = 2048, 8192  # 64 MiB of float32 scores a block; BLAS runs near its best
MIN_EXACT = 1_000_000  # impostor scores kept exactly at least (12 MB): small sets are exact throughout


@dataclasses.dataclass(frozen=True)
class AllPairs:
    """Every pair of a labelled set, as `score_all_pairs` keeps it; image indices are the input's rows.

    `identity` [N] numbers each image's identity (0..I-1, in label order). Genuine pairs and the
    impostor tail are sorted by score, highest first; `histogram` counts all impostor scores.
    """

    identity: np.ndarray
    genuine_scores: np.ndarray
    genuine_images: np.ndarray  # [G, 2]
    tail_scores: np.ndarray
    tail_images: np.ndarray  # [K, 2]
    histogram: np.ndarray  # [BINS] int64
    num_impostors: int

    @property
    def num_genuine(self) -> int:
        return len(self.genuine_scores)

    @property
    def tail_complete(self) -> bool:
        """Whether the tail holds every impostor pair (every threshold is then exact)."""
        return len(self.tail_scores) == self.num_impostors

    @property
    def exact_far(self) -> float:
        """The highest FAR whose threshold is exact: its false accepts all lie in the tail."""
        if self.tail_complete:
            return 1.0
        return max(len(self.tail_scores) - 1, 0) / self.num_impostors

    def tail_holds(self, threshold: float) -> bool:
        """Whether every impostor pair scoring >= `threshold` is in the tail (with its images)."""
        return self.tail_complete or (len(self.tail_scores) > 0 and threshold > self.tail_scores[-1])

    def false_accepts(self, threshold: float) -> int:
        """Impostor pairs scoring >= `threshold`: exact in the tail, else the histogram's from the bin
        holding `threshold` (exact for a bin edge, as `threshold_for_far` returns beyond the tail)."""
        if self.tail_holds(threshold):
            return int(np.sum(self.tail_scores >= threshold))
        first_bin = int(np.clip(math.ceil((threshold + 1.0) * _HALF_BINS - 1e-6), 0, BINS))
        return int(self.histogram[first_bin:].sum())

    def threshold_for_far(self, far: float) -> float:
        """The lowest threshold accepting at most floor(far * impostors): exact within the tail, a bin edge beyond.

        Raises operating_point.UnresolvableFar when there are fewer than ceil(1 / far) impostor pairs.
        """
        if not 0 < far < 1:
            raise ValueError(f"far: expected a rate between 0 and 1, got {far}")
        needed = metrics.negative_pairs_needed(far)
        if self.num_impostors < needed:
            raise operating_point.UnresolvableFar(
                f"a FAR of {far:g} needs at least {needed} different-identity pairs; all pairs of these faces "
                f"hold {self.num_impostors}. Give the evaluation more faces, or choose a FAR of at least "
                f"{1 / max(self.num_impostors, 1):.2g}")
        allowed = math.floor(far * self.num_impostors + 1e-9)
        if allowed < len(self.tail_scores):
            highest_rejected = self.tail_scores[allowed]
            above = np.r_[self.tail_scores[:allowed], self.genuine_scores[self.genuine_scores > highest_rejected]]
            above = above[above > highest_rejected]
            if above.size == 0:
                return float(np.nextafter(highest_rejected, np.inf))
            return float((highest_rejected + above.min()) / 2)
        # Impostors at or above each bin's lower edge; the lowest edge within the allowance.
        at_or_above = np.cumsum(self.histogram[::-1])[::-1]
        first_bin = int(np.argmax(at_or_above <= allowed))
        return float(-1.0 + first_bin / _HALF_BINS)

    def measure(self, threshold: float, target_far: Optional[float] = None) -> operating_point.OperatingPoint:
        """The false accepts and false rejects of `threshold` over all pairs."""
        return operating_point.OperatingPoint(
            threshold=float(threshold), target_far=target_far,
            false_accepts=self.false_accepts(threshold), num_negative_pairs=self.num_impostors,
            false_rejects=int(np.sum(self.genuine_scores < threshold)), num_positive_pairs=self.num_genuine)

    def operating_point(self, far: float) -> operating_point.OperatingPoint:
        """The operating point for a target FAR over all pairs (operating_point.choose's rule)."""
        return self.measure(self.threshold_for_far(far), far)

    def tar_at_far(self, fars: Iterable[float]) -> Dict[float, object]:
        """{far: TAR at its threshold, or "not measurable: ..." when the pairs cannot resolve it}."""
        results = {}
        for far in fars:
            try:
                results[far] = self.operating_point(far).tar
            except operating_point.UnresolvableFar as error:
                results[far] = f"not measurable: {error}"
        return results

    def roc(self):
        """(fpr, tpr) at every bin edge from the highest down, for a log-FAR plot: exact to the bins."""
        impostors = np.cumsum(self.histogram[::-1])  # at or above each bin's lower edge, top bin first
        edges = -1.0 + np.arange(BINS - 1, -1, -1) / _HALF_BINS
        genuine = np.searchsorted(-self.genuine_scores, -edges, side="right")
        keep = np.r_[True, np.diff(impostors) > 0]
        return impostors[keep] / max(self.num_impostors, 1), genuine[keep] / max(self.num_genuine, 1)


class _Tail:
    """The highest impostor scores seen so far (at least `size` of them once seen), with their pairs.

    Scores are scaled by _HALF_BINS, as the histogram's. Candidates above the running cut-off are
    buffered and cut back to `size` when the buffer doubles, so each score costs one comparison
    and the cut is amortised.
    """

    def __init__(self, size: int):
        self.size = size
        self.cutoff = -np.inf
        self._parts = []
        self._buffered = 0

    def lower_cutoff(self, histogram: np.ndarray) -> None:
        """Raises the cut-off to the bin edge below which lie only scores outside the top `size` seen.

        The histogram holds every score offered so far: the `size` highest all lie at or above the
        lowest edge with at least `size` scores above it, so from the first block on each block
        offers the tail about `size` candidates, not all its scores.
        """
        at_or_above = np.cumsum(histogram[::-1])[::-1]
        full = int(np.count_nonzero(at_or_above >= self.size))  # bins 0..full-1 start low enough
        if full > 1:
            self.cutoff = max(self.cutoff, full - 2 - _HALF_BINS)  # scaled lower edge of the bin below

    def add(self, block: np.ndarray, row0: int, column0: int) -> None:
        flat = np.flatnonzero(block > self.cutoff)
        if not flat.size:
            return
        scores = block.ravel()[flat]
        if flat.size > self.size:
            keep = np.argpartition(scores, flat.size - self.size)[flat.size - self.size:]
            flat, scores = flat[keep], scores[keep]
        rows, columns = np.divmod(flat, block.shape[1])
        self._parts.append((scores, (rows + row0).astype(np.int32), (columns + column0).astype(np.int32)))
        self._buffered += flat.size
        if self._buffered > 2 * self.size:
            self._cut()

    def _cut(self) -> None:
        scores, rows, columns = (np.concatenate(part) for part in zip(*self._parts))
        if len(scores) > self.size:
            keep = np.argpartition(scores, len(scores) - self.size)[len(scores) - self.size:]
            scores, rows, columns = scores[keep], rows[keep], columns[keep]
            self.cutoff = scores.min()
        self._parts, self._buffered = [(scores, rows, columns)], len(scores)

    def result(self):
        if not self._parts:
            return np.empty(0, np.float32), np.empty((0, 2), np.int32)
        self._cut()
        scores, rows, columns = self._parts[0]
        order = np.argsort(-scores, kind="stable")
        return scores[order], np.stack([rows[order], columns[order]], axis=1)


def _histogram_add(histogram: np.ndarray, scaled: np.ndarray, buffer: np.ndarray) -> None:
    """Adds scores scaled by _HALF_BINS into the bins: floor(score * B/2 + B/2), the top edge folded in."""
    np.add(scaled, _HALF_BINS, out=buffer, casting="unsafe")  # truncation is the floor: all >= 0
    counts = np.bincount(buffer.ravel(), minlength=BINS + 1)
    histogram += counts[:BINS]
    histogram[-1] += counts[BINS:].sum()  # a cosine a rounding above 1


def score_all_pairs(embeddings, labels, tail_far: float = 1e-6, min_exact: int = MIN_EXACT,
                    block_rows: int = BLOCK_ROWS, block_columns: int = BLOCK_COLUMNS) -> AllPairs:
    """Scores every pair of `embeddings` [N, dim] (by cosine), knowing same from different by `labels` [N].

    Keeps all genuine pairs, the ceil(tail_far * impostors) + 1 highest impostor pairs (at least
    `min_exact`), and the histogram of all impostor scores; never more than one block of scores.
    """
    embeddings, labels = np.asarray(embeddings), np.asarray(labels)
    if embeddings.ndim != 2 or labels.shape != (len(embeddings),):
        raise ValueError(f"expected embeddings [N, dim] and labels [N], got {embeddings.shape} and {labels.shape}")
    if not 0 < tail_far < 1:
        raise ValueError(f"tail_far: expected a rate between 0 and 1, got {tail_far}")
    _, identity = np.unique(labels, return_inverse=True)
    sizes = np.bincount(identity)
    if len(sizes) < 2 or sizes.max() < 2:
        raise ValueError(f"all-pairs scoring needs 2 identities, one with 2 images; got {len(sizes)} identities "
                         f"with at most {sizes.max(initial=0)} images")
    # In identity order, the pairs of one identity sit near the diagonal: only those blocks need a mask.
    order = np.argsort(identity, kind="stable")
    code = identity[order]
    unit = np.ascontiguousarray(metrics.unit_rows(embeddings[order]), dtype=np.float32)
    scaled = unit * np.float32(_HALF_BINS)  # exact: the matmul gives scores x B/2, ready for the bins
    count = len(unit)
    num_genuine = int(np.sum(sizes * (sizes - 1) // 2))
    num_impostors = count * (count - 1) // 2 - num_genuine
    tail = _Tail(min(num_impostors, max(min_exact, math.ceil(tail_far * num_impostors) + 1)))

    histogram = np.zeros(BINS, np.int64)
    genuine = []
    block = np.empty((block_rows, max(block_rows, block_columns)), np.float32)
    bins = np.empty(block.shape, np.intp)
    for row0 in range(0, count, block_rows):
        row1 = min(row0 + block_rows, count)
        # The square on the diagonal (its upper half), then the columns right of it.
        chunks = [(row0, row1)] + [(start, min(start + block_columns, count))
                                   for start in range(row1, count, block_columns)]
        for column0, column1 in chunks:
            scores = block[:row1 - row0, :column1 - column0]
            np.matmul(scaled[row0:row1], unit[column0:column1].T, out=scores)
            if column0 == row0 or code[row1 - 1] >= code[column0]:  # the diagonal, or an identity across the edge
                rows, columns = np.arange(row0, row1)[:, None], np.arange(column0, column1)[None, :]
                same = code[rows] == code[columns]
                upper = columns > rows
                pair_rows, pair_columns = np.nonzero(same & upper)
                genuine.append((scores[pair_rows, pair_columns] / _HALF_BINS,
                                pair_rows + row0, pair_columns + column0))
                impostor = ~same & upper
                _histogram_add(histogram, scores[impostor], bins.ravel()[:int(impostor.sum())])
                tail.lower_cutoff(histogram)
                tail.add(np.where(impostor, scores, -np.inf), row0, column0)
            else:
                _histogram_add(histogram, scores, bins[:row1 - row0, :column1 - column0])
                tail.lower_cutoff(histogram)
                tail.add(scores, row0, column0)

    tail_scores, tail_pairs = tail.result()
    genuine_scores, genuine_rows, genuine_columns = (np.concatenate(part) for part in zip(*genuine))
    genuine_order = np.argsort(-genuine_scores, kind="stable")
    return AllPairs(
        identity=identity,
        genuine_scores=genuine_scores[genuine_order].astype(np.float64),
        genuine_images=order[np.stack([genuine_rows, genuine_columns], axis=1)[genuine_order]],
        # float64: a threshold halfway between two neighbouring float32 scores stays between them
        # (compared with float32 scores it would round onto one; 5e6 tail scores are that dense).
        tail_scores=tail_scores.astype(np.float64) / _HALF_BINS,
        tail_images=order[tail_pairs],
        histogram=histogram,
        num_impostors=int(num_impostors),
    )
