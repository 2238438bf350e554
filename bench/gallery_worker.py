"""One size of the gallery benchmark, in a fresh process (bench/gallery.py runs it): enrol, search, recall.

    python -m bench.gallery_worker SIZE DIMENSIONS PROBES SCRATCH_DIR DATA

Synthetic templates, SIZE people with one photo each, of one of two kinds (DATA):
- `face manifold`: a point of a random INTRINSIC_DIMENSIONS-d sphere mixed with isotropic noise
  that carries most of the variance (MANIFOLD_SHARE on the manifold). Gong, Boddeti and Jain (On
  the Intrinsic Dimensionality of Image Representations, CVPR 2019) estimate that SphereFace's
  512-d face representation has an intrinsic dimensionality of 16; the noise makes the templates
  harder for an index than that manifold alone.
- `look-alike clusters`: CLUSTERS centres, each person close to one (two people of one cluster
  have a cosine of about SAME_CLUSTER_COSINE, of two clusters about 0): at a million people, a
  thousand equally alike people per cluster, a worst case for a graph (nothing leads a search from
  one of them to another).
A probe is a new photo of an enrolled person (cosine about MATED_COSINE with their template,
the rest isotropic noise), or of a new person of the same kind (non-mated).
"""

import math
import os
import sys
import time

import numpy as np

from bench import measure
from serving import gallery_index
from serving.gallery import Gallery
from verification.metrics import unit_rows

MANIFOLD, CLUSTERED = "face manifold", "look-alike clusters"
INTRINSIC_DIMENSIONS = 16
MANIFOLD_SHARE = 0.3
CLUSTERS = 1000
SAME_CLUSTER_COSINE = 0.3
MATED_COSINE = 0.6
SEARCH_LISTS = (128, 192, 256)  # besides gallery_index.EXPANSION_SEARCH's, on the same graph
ADDED = 1000  # people enrolled into the full gallery, timed: a change as `enrol` makes it
CHUNK = 100_000  # rows generated at a time: float64 noise for 1M x 512 would take 4 GB


def _mixed(directions: np.ndarray, share: float, rng) -> np.ndarray:
    """Unit vectors `sqrt(share)` of the way along their (unit) direction row, the rest isotropic noise: two
    of one direction have a cosine of about `share`."""
    noise = unit_rows(rng.standard_normal(directions.shape, dtype=np.float32))
    return unit_rows(math.sqrt(share) * directions + math.sqrt(1 - share) * noise)


class People:
    """New people of one kind of synthetic data, `count` at a time."""

    def __init__(self, data: str, dimensions: int, rng):
        self.data, self.rng = data, rng
        if data == MANIFOLD:
            self.basis = np.linalg.qr(rng.standard_normal((dimensions, INTRINSIC_DIMENSIONS)))[0].astype(np.float32)
        elif data == CLUSTERED:
            self.centres = unit_rows(rng.standard_normal((CLUSTERS, dimensions), dtype=np.float32))
        else:
            raise ValueError(f"expected data {MANIFOLD!r} or {CLUSTERED!r}, got {data!r}")

    def _chunk(self, count: int) -> np.ndarray:
        if self.data == MANIFOLD:
            on_manifold = unit_rows(self.rng.standard_normal((count, INTRINSIC_DIMENSIONS), dtype=np.float32))
            return _mixed(on_manifold @ self.basis.T, MANIFOLD_SHARE, self.rng)
        return _mixed(self.centres[self.rng.integers(0, CLUSTERS, count)], SAME_CLUSTER_COSINE, self.rng)

    def __call__(self, count: int) -> np.ndarray:
        return np.concatenate([self._chunk(min(CHUNK, count - start)) for start in range(0, count, CHUNK)])


def _latencies_ms(search, probes: np.ndarray) -> dict:
    seconds = []
    for probe in probes:
        start = time.perf_counter()
        search(probe[None])
        seconds.append(time.perf_counter() - start)
    milliseconds = np.array(seconds) * 1000
    # The per-probe latencies' summary (its median is the p50) is the row's figure; p99 beside it.
    return {"per_probe": measure.summary(milliseconds), "p99": float(np.percentile(milliseconds, 99))}


def run(size: int, dimensions: int, num_probes: int, scratch: str, data: str) -> dict:
    rng = np.random.default_rng(size)
    people = People(data, dimensions, rng)
    templates = people(size)
    names = np.array([f"p{number}" for number in range(size)])
    mated_of = rng.choice(size, num_probes, replace=False)
    mated = _mixed(templates[mated_of], MATED_COSINE ** 2, rng)  # cosine with the template ~ MATED_COSINE
    nonmated = people(num_probes)
    half = min(1000, size // 2)
    impostor = (templates[:half] @ templates[half:2 * half].T).ravel()  # scores of two different people

    folder = os.path.join(scratch, f"gallery-{size}-{data.replace(' ', '-')}")
    gallery = Gallery.create(folder, "bench", "synthetic", dimensions)
    start = time.perf_counter()
    gallery.enrol(names, names, templates)  # one photo a person: the template is the photo's embedding
    enrol_seconds = time.perf_counter() - start

    gallery = Gallery.open(folder)  # as `identify` opens it: the saved index, or exact search
    index = gallery.index()
    on_disk = sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))
    search = lambda probes: gallery.search(probes, 1)  # noqa: E731: the search `identify` makes
    exact = gallery_index.ExactIndex(dimensions)
    exact.add(np.arange(size), templates)
    exact_search = lambda probes: exact.search(probes, 1)  # noqa: E731

    best = {"mated": exact.search(mated, 1)[0][:, 0], "nonmated": exact.search(nonmated, 1)[0][:, 0]}

    def recall_of(kind, probes):
        found = np.array([int(search(probe[None])[0][0][0][1:]) for probe in probes])  # "p123" -> 123
        return float(np.mean(found == best[kind]))

    recall = {kind: recall_of(kind, probes) for kind, probes in (("mated", mated), ("nonmated", nonmated))}
    rank1_mated = float(np.mean(best["mated"] == mated_of))
    latency = _latencies_ms(search, mated)
    search_lists = {}  # the same graph searched with other search lists: recall against latency
    if index.kind == gallery_index.APPROXIMATE:
        judged = index.search_list
        for search_list in SEARCH_LISTS:
            index.search_list = search_list
            search_lists[search_list] = {"recall_mated": recall_of("mated", mated),
                                         "p99_ms": _latencies_ms(search, mated)["p99"]}
        index.search_list = judged
    exact_latency = _latencies_ms(exact_search, mated[:max(20, num_probes // 10)])
    added = people(ADDED)
    added_names = np.array([f"q{number}" for number in range(ADDED)])
    start = time.perf_counter()
    gallery.enrol(added_names, added_names, added)
    add_seconds = time.perf_counter() - start
    return {
        "size": size, "data": data, "index": index.kind,
        "impostor_cosine": {"std": float(impostor.std()), "quantile_0.9999": float(np.quantile(impostor, 0.9999))},
        "enrol_s": enrol_seconds, "enrol_per_s": size / enrol_seconds,
        "add_s": add_seconds, "latency_ms": latency, "exact_latency_ms": exact_latency, "search_lists": search_lists,
        "recall_mated": recall["mated"], "recall_nonmated": recall["nonmated"], "rank1_mated": rank1_mated,
        "index_bytes_per_template": (index.memory_bytes if index.kind == gallery_index.APPROXIMATE
                                     else templates[0].nbytes * size) / size,
        "disk_bytes_per_template": on_disk / size,
    }


if __name__ == "__main__":
    measure.print_result(run(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]))
