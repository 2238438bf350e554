"""All-vs-all impostor scoring: seconds to score every pair of 10k and 100k 512-d faces.

Times `verification.all_pairs.score_all_pairs` as the EmbeddingEvaluator calls it on its eval
split (blocks of float32 BLAS matmul, the fine histogram, the exact tail down to the operating
point's FAR of 1e-3), then that operating point and its identity-bootstrap intervals, on synthetic embeddings:
identities around random centres, `per_identity` faces each, so genuine pairs exist as in a real set.
"""

import time

import numpy as np

from bench import measure
from bench.results import Result
from verification import all_pairs, identity_bootstrap

NAME = "all_vs_all"
TARGET_SECONDS = 60.0  # at 100,000 faces: about 5e9 impostor pairs
# The demo's operating point (evaluator.operating_point.far): the evaluator keeps every impostor pair
# above its threshold exactly (5e6 of them at 100k faces), for its intervals and the group rates.
OPERATING_FAR = 1e-3


def faces(num_faces, dim, per_identity, seed=0):
    """Unit-scale embeddings: identity centres plus noise of similar size (genuine cosines ~0.5)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(num_faces) // per_identity
    centres = rng.standard_normal((labels[-1] + 1, dim), dtype=np.float32)
    return centres[labels] + rng.standard_normal((num_faces, dim), dtype=np.float32), labels


def run(settings, context):
    start = time.perf_counter()
    rows = []
    for num_faces in settings["faces"]:
        embeddings, labels = faces(num_faces, settings["dim"], settings["per_identity"])
        scored = []
        seconds = measure.time_calls(
            lambda: scored.append(all_pairs.score_all_pairs(embeddings, labels, tail_far=OPERATING_FAR)),
            settings["repeats"], warmup=0)
        result = scored[-1]
        began = time.perf_counter()
        point = result.operating_point(OPERATING_FAR)
        intervals = identity_bootstrap.IdentityBootstrap(result.identity, settings["replicates"]).far_frr(
            result, point.threshold)
        bootstrap_seconds = time.perf_counter() - began
        pairs = result.num_impostors + result.num_genuine
        rows.append({
            "faces": f"{num_faces:,}", "impostors": f"{result.num_impostors:.3g}",
            "seconds": measure.summary(seconds),
            "pairs_per_second": f"{pairs / np.median(seconds):.3g}",
            "tail": f"{len(result.tail_scores):,}",
            "bootstrap": f"{bootstrap_seconds:.1f}",
            "far": f"{point.far:.2e} [{', '.join(f'{bound:.2e}' for bound in intervals['far_interval'])}]",
        })
    largest = rows[-1]
    median = largest["seconds"]["median"]
    return Result(
        name=NAME,
        title=f"All-vs-all impostor scoring ({settings['dim']}-d)",
        target=f"<= {TARGET_SECONDS:g} s at 100,000 faces (about 5e9 impostor pairs)",
        columns=[("faces", "faces"), ("impostors", "impostor pairs"), ("seconds", "scoring (s)"),
                 ("pairs_per_second", "pairs/s"), ("tail", "exact tail kept"),
                 ("bootstrap", "operating point + bootstrap (s)"), ("far", "FAR at 1e-3 [interval]")],
        rows=rows,
        met=median <= TARGET_SECONDS if settings["faces"][-1] >= 100_000 else None,
        verdict=f"{median:.1f} s at {largest['faces']} faces ({median / TARGET_SECONDS:.0%} of the "
                f"{TARGET_SECONDS:g} s budget)",
        notes=[
            f"`score_all_pairs` on synthetic {settings['dim']}-d float32 embeddings, {settings['per_identity']} "
            f"faces an identity; {settings['repeats']} timed call(s) per size, no warm-up (each call is "
            "seconds of BLAS). The bootstrap column: the operating point at FAR 1e-3 and its FAR and FRR "
            f"intervals from {settings['replicates']} identity-bootstrap replicates, timed once.",
        ],
        seconds=time.perf_counter() - start,
    )
