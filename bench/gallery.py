"""Gallery: enrolment, search latency and recall@1 against exact search, 10k to 1M templates (bench/settings.py).

Each size runs in a fresh process (bench/gallery_worker.py): synthetic 512-d unit templates
around 1000 centres (people who look alike), enrolled through `Gallery.enrol` as `python -m serving
enrol` does (the photos file, the templates, the index: exact below
`gallery_index.APPROXIMATE_FROM`, else usearch's graph, built and saved), then opened as
`identify` opens it and searched one probe at a time. Recall@1 is how often its best template is
exact search's best, over mated probes (new photos of enrolled people) and non-mated ones.
"""

import time

from bench import measure
from bench.results import Result

NAME = "gallery"
TARGET_SIZE, TARGET_P99_MS, TARGET_RECALL = 1_000_000, 10.0, 0.99


def run(settings, context):
    start = time.perf_counter()
    rows = []
    for size in settings["sizes"]:
        figures = measure.run_worker("bench.gallery_worker", [size, settings["dimensions"], settings["probes"],
                                                              context.scratch_dir], timeout=6 * 3600)
        rows.append({
            "templates": f"{size:,}", "index": figures["index"],
            "enrol_per_s": round(figures["enrol_per_s"]), "add_s": figures["add_s"],
            "p50_ms": figures["latency_ms"]["per_probe"], "p99_ms": figures["latency_ms"]["p99"],
            "exact_p50_ms": figures["exact_latency_ms"]["per_probe"],
            "recall_mated": figures["recall_mated"], "recall_nonmated": figures["recall_nonmated"],
            "memory_b": round(figures["index_bytes_per_template"]), "disk_b": round(figures["disk_bytes_per_template"]),
        })
    largest = rows[-1]
    judged = settings["sizes"][-1] == TARGET_SIZE
    met = largest["p99_ms"] < TARGET_P99_MS and largest["recall_mated"] >= TARGET_RECALL
    return Result(
        name=NAME,
        title=f"Gallery: enrolment, search latency and recall@1 ({settings['dimensions']}-d templates)",
        target=f"at {TARGET_SIZE:,} templates: p99 < {TARGET_P99_MS:g} ms per probe with recall@1 >= {TARGET_RECALL}",
        columns=[("templates", "templates"), ("index", "index"), ("enrol_per_s", "enrol (templates/s)"),
                 ("add_s", "enrol 1,000 more (s)"), ("p50_ms", "search p50 (min-max) (ms)"), ("p99_ms", "search p99 (ms)"),
                 ("exact_p50_ms", "exact search p50 (min-max) (ms)"), ("recall_mated", "recall@1, mated"),
                 ("recall_nonmated", "recall@1, non-mated"), ("memory_b", "index memory (B/template)"),
                 ("disk_b", "on disk (B/template)")],
        rows=rows,
        met=met if judged else None,
        verdict=f"{largest['templates']} templates: p99 {largest['p99_ms']:.2f} ms, recall@1 {largest['recall_mated']:.3f} "
                f"(mated probes)",
        notes=[
            f"{settings['probes']} mated and {settings['probes']} non-mated probes per size, searched one at a time "
            "through `Gallery.search` (k=1); exact search (one float32 matrix product) timed on a tenth of them.",
            "Enrol: one `Gallery.enrol` of every template (one photo a person), from the call to gallery.json "
            "replaced: the photos file written and read back, templates averaged, the index built and saved. "
            "Enrol 1,000 more: a second call on the full gallery (photos re-read, the saved index loaded, updated, "
            "saved again).",
            "Index memory: usearch's own count (vectors as 8-bit integers plus the graph); exact search holds "
            "float32 templates. On disk: the gallery folder (photos with their float32 embeddings and paths, "
            "the manifest, the index) over the templates.",
        ],
        seconds=time.perf_counter() - start,
    )
