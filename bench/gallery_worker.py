"""One size of the gallery benchmark, in a fresh process (bench/gallery.py runs it): enrol, search, recall.

    python -m bench.gallery_worker SIZE DIMENSIONS PROBES SCRATCH_DIR

Synthetic templates: SIZE people, one photo each, unit vectors around CLUSTERS centres (people
who look alike: two people of one cluster have a cosine of about SAME_CLUSTER_COSINE, of two
clusters about 0); a probe is a new photo of an enrolled person (cosine about MATED_COSINE with
their template), or of nobody enrolled (a new person of a random cluster).
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

CLUSTERS = 1000
SAME_CLUSTER_COSINE = 0.3
MATED_COSINE = 0.6
ADDED = 1000  # people enrolled into the full gallery, timed: a change as `enrol` makes it
CHUNK = 100_000  # rows generated at a time: float64 noise for 1M x 512 would take 4 GB


def _around(centres: np.ndarray, cosine: float, rng) -> np.ndarray:
    """Unit vectors whose cosine with their (unit) centre row is about sqrt(cosine) on average: two of one
    centre have a cosine of about `cosine`."""
    noise = unit_rows(rng.standard_normal(centres.shape, dtype=np.float32))
    return unit_rows(math.sqrt(cosine) * centres + math.sqrt(1 - cosine) * noise)


def people(count: int, dimensions: int, centres: np.ndarray, rng) -> np.ndarray:
    rows = [_around(centres[rng.integers(0, len(centres), min(CHUNK, count - start))], SAME_CLUSTER_COSINE, rng)
            for start in range(0, count, CHUNK)]
    return np.concatenate(rows)


def _exact_top1(templates: np.ndarray, probes: np.ndarray) -> np.ndarray:
    best = np.full(len(probes), -np.inf, np.float32), np.zeros(len(probes), np.int64)
    for start in range(0, len(templates), CHUNK):
        scores = probes @ templates[start:start + CHUNK].T
        column = scores.argmax(axis=1)
        value = scores[np.arange(len(probes)), column]
        better = value > best[0]
        best[0][better], best[1][better] = value[better], column[better] + start
    return best[1]


def _latencies_ms(search, probes: np.ndarray) -> dict:
    seconds = []
    for probe in probes:
        start = time.perf_counter()
        search(probe[None])
        seconds.append(time.perf_counter() - start)
    milliseconds = np.array(seconds) * 1000
    # The per-probe latencies' summary (its median is the p50) is the row's figure; p99 beside it.
    return {"per_probe": measure.summary(milliseconds), "p99": float(np.percentile(milliseconds, 99))}


def run(size: int, dimensions: int, num_probes: int, scratch: str) -> dict:
    rng = np.random.default_rng(size)
    centres = unit_rows(rng.standard_normal((CLUSTERS, dimensions), dtype=np.float32))
    templates = people(size, dimensions, centres, rng)
    names = np.array([f"p{number}" for number in range(size)])
    mated_of = rng.choice(size, num_probes, replace=False)
    mated = _around(templates[mated_of], MATED_COSINE ** 2, rng)  # cosine with the template ~ MATED_COSINE
    nonmated = people(num_probes, dimensions, centres, rng)

    folder = os.path.join(scratch, f"gallery-{size}")
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

    recall = {}
    for kind, probes in (("mated", mated), ("nonmated", nonmated)):
        found = np.array([int(search(probe[None])[0][0][0][1:]) for probe in probes])  # "p123" -> 123
        recall[kind] = float(np.mean(found == _exact_top1(templates, probes)))
    rank1_mated = float(np.mean(_exact_top1(templates, mated) == mated_of))

    latency = _latencies_ms(search, mated)
    exact_latency = _latencies_ms(exact_search, mated[:max(20, num_probes // 10)])
    added = people(ADDED, dimensions, centres, rng)
    added_names = np.array([f"q{number}" for number in range(ADDED)])
    start = time.perf_counter()
    gallery.enrol(added_names, added_names, added)
    add_seconds = time.perf_counter() - start
    return {
        "size": size, "index": index.kind, "enrol_s": enrol_seconds, "enrol_per_s": size / enrol_seconds,
        "add_s": add_seconds, "latency_ms": latency, "exact_latency_ms": exact_latency,
        "recall_mated": recall["mated"], "recall_nonmated": recall["nonmated"], "rank1_mated": rank1_mated,
        "index_bytes_per_template": (index.memory_bytes if index.kind == gallery_index.APPROXIMATE
                                     else templates[0].nbytes * size) / size,
        "disk_bytes_per_template": on_disk / size,
    }


if __name__ == "__main__":
    measure.print_result(run(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
