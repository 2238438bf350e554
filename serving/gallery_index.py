"""Nearest templates of a gallery: exact search (NumPy) for small galleries, an HNSW graph (usearch) above.

Both hold unit-length templates under integer keys and answer "the k most similar templates of
each probe" by inner product (the cosine, as templates and probes are normalised). Exact search
is one matrix product, the reference the approximate index is measured against (bench/gallery.py:
recall@1 against exact search, latency, memory); it is used up to `APPROXIMATE_FROM` templates,
where a product with every template still takes about a millisecond. usearch's graph
(docs/decisions/gallery-index.md says why this library) stores the vectors as 8-bit integers
(`APPROXIMATE_DTYPE`: a quarter of float32's memory, and faster to build than half precision),
removes and replaces keys in place, and saves to one file.

Example:
    >>> index = make_index(dimensions=2, size=3)
    >>> index.add(np.array([7, 8, 9]), np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], np.float32))
    >>> keys, scores = index.search(np.array([[0.8, 0.6]], np.float32), k=2)
    >>> keys.tolist(), np.round(scores, 2).tolist()
    ([[9, 7]], [[0.96, 0.8]])
"""

from typing import Dict, Tuple

import numpy as np

# Up to this many templates a probe is compared with every one: below it exact search is about as
# fast as a graph and needs no index file.
APPROXIMATE_FROM = 20_000
APPROXIMATE_DTYPE = "i8"
# HNSW parameters: edges per node, and the candidate lists kept while adding and searching
# (larger: better recall, slower). At a million 512-d templates, 16 and 64 needed a search list of
# 512 for recall@1 0.99 (p99 10.4 ms); 32 and 128 reached 0.999 with 128 (p99 6.3 ms) in one build
# and 0.987 in another, hence 192 (p99 7.0 ms) for a build three times as long
# (docs/decisions/gallery-index.md); bench/gallery.py measures them.
CONNECTIVITY = 32
EXPANSION_ADD = 128
EXPANSION_SEARCH = 192
# Templates added one thread at a time: usearch's concurrent insertion links a young graph badly (on
# 200 random 16-d templates, a third of the builds missed a probe's best match; none with one
# thread). Beyond, every core: at 100k clustered templates recall@1 stayed within 0.004 of one
# thread's, built twice as fast on two cores.
YOUNG_GRAPH = 20_000
EXACT, APPROXIMATE = "exact", "usearch"
# A graph's recall depends on the data and differs from build to build, so each gallery's is measured
# on its own photos (serving/gallery.py, Gallery.check_index): recall@1 against exact search on up
# to CHECK_PROBES enrolled photos, and the smallest search list reaching TARGET_RECALL is kept.
TARGET_RECALL = 0.99
SEARCH_LISTS = (EXPANSION_SEARCH, 256, 384, 512)
CHECK_PROBES = 1000
EXACT_BATCH = 64  # probes scored against every template at a time: [64, 1M] float32 is 256 MB


class _Index:
    """What both indexes share: `add` checks the templates and replaces keys already present."""

    dimensions: int

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Adds templates under new keys (a key already present is replaced)."""
        keys, vectors = np.asarray(keys, np.int64), np.ascontiguousarray(vectors, np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimensions or len(keys) != len(vectors):
            raise ValueError(f"expected {len(keys)} keys and [{len(keys)}, {self.dimensions}] vectors, "
                             f"got {len(keys)} keys and {list(vectors.shape)}")
        self.remove(keys)
        self._insert(keys, vectors)

    def remove(self, keys: np.ndarray) -> None:
        raise NotImplementedError

    def _insert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        raise NotImplementedError


class ExactIndex(_Index):
    """Every template in one float32 matrix; a search is a matrix product and a partial sort."""

    kind = EXACT

    def __init__(self, dimensions: int):
        self.dimensions = dimensions
        self._keys = np.zeros(0, np.int64)
        self._vectors = np.zeros((0, dimensions), np.float32)

    def __len__(self) -> int:
        return len(self._keys)

    def _insert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self._keys = np.concatenate([self._keys, keys])
        self._vectors = np.concatenate([self._vectors, vectors])

    def remove(self, keys: np.ndarray) -> None:
        kept = ~np.isin(self._keys, keys)
        self._keys, self._vectors = self._keys[kept], self._vectors[kept]

    def search(self, probes: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """The keys [N, k] and scores [N, k] of each probe's k best templates, best first (EXACT_BATCH probes
        scored at a time)."""
        probes = np.asarray(probes, np.float32)
        found = [self._search(probes[start:start + EXACT_BATCH], min(k, len(self)))
                 for start in range(0, max(len(probes), 1), EXACT_BATCH)]  # no probe: one empty batch
        keys, scores = zip(*found)
        return np.concatenate(keys), np.concatenate(scores)

    def _search(self, probes: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        scores = probes @ self._vectors.T
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, best, axis=1)
        order = np.argsort(-best_scores, axis=1, kind="stable")
        return self._keys[np.take_along_axis(best, order, axis=1)], np.take_along_axis(best_scores, order, axis=1)


class ApproximateIndex(_Index):
    """usearch's HNSW graph of 8-bit vectors, by cosine (its inner product of 8-bit vectors is not rescaled to
    [-1, 1]); saved to and loaded from one file."""

    kind = APPROXIMATE

    def __init__(self, dimensions: int, path: str = None):
        from usearch.index import Index  # here: exact search, all most galleries need, imports nothing

        self.dimensions = dimensions
        self._index = Index(ndim=dimensions, metric="cos", dtype=APPROXIMATE_DTYPE, connectivity=CONNECTIVITY,
                            expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        if path is not None:
            self._index.load(path)
            if self._index.ndim != dimensions:
                raise ValueError(f"{path}: expected an index of {dimensions} dimensions, got {self._index.ndim}")

    def __len__(self) -> int:
        return len(self._index)

    def _insert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        young = max(0, min(len(keys), YOUNG_GRAPH - len(self)))
        keys = keys.astype(np.uint64)
        if young:
            self._index.add(keys[:young], vectors[:young], threads=1)
        if young < len(keys):
            self._index.add(keys[young:], vectors[young:], threads=0)

    def remove(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, np.uint64)
        if len(self) and len(keys):
            present = keys[np.asarray(self._index.contains(keys), bool).reshape(-1)]
            if len(present):
                self._index.remove(present)

    def search(self, probes: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """The keys [N, k] and scores [N, k] of each probe's k best templates, best first."""
        matches = self._index.search(np.ascontiguousarray(probes, np.float32), min(k, len(self)))
        # usearch returns the cosine *distance*, 1 - similarity.
        return matches.keys.astype(np.int64).reshape(len(probes), -1), \
            1.0 - matches.distances.reshape(len(probes), -1)

    def save(self, path: str) -> None:
        self._index.save(path)

    @property
    def search_list(self) -> int:
        """The candidates kept while searching (HNSW's ef): more finds the best match more often, slower."""
        return int(self._index.expansion_search)

    @search_list.setter
    def search_list(self, size: int) -> None:
        self._index.expansion_search = size

    @property
    def memory_bytes(self) -> int:
        return int(self._index.memory_usage)


def choose_search_list(index: ApproximateIndex, exact: ExactIndex, probes: np.ndarray) -> Tuple[int, Dict[int, float]]:
    """The smallest of SEARCH_LISTS whose recall@1 against exact search on `probes` reaches TARGET_RECALL (the
    largest if none does), and the recall@1 of each list tried; `index` is left searching with the one chosen."""
    best = exact.search(probes, 1)[0][:, 0]
    recalls = {}
    for search_list in SEARCH_LISTS:
        index.search_list = search_list
        recalls[search_list] = float(np.mean(index.search(probes, 1)[0][:, 0] == best))
        if recalls[search_list] >= TARGET_RECALL:
            break
    return search_list, recalls


def make_index(dimensions: int, size: int):
    """The index for a gallery of `size` templates: exact below APPROXIMATE_FROM, approximate from there."""
    return ExactIndex(dimensions) if size < APPROXIMATE_FROM else ApproximateIndex(dimensions)
