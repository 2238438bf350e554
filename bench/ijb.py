"""IJB evaluation: seconds per 1,000 templates to score an IJB-C-shaped set from its face embeddings.

What the EmbeddingEvaluator does for an `ijb` set once Beam has embedded the faces, on synthetic
512-d embeddings in IJB-C's proportions (469,375 faces, 23,124 templates, 15,658,489 template
pairs of which 19,557 genuine; 1:N galleries of 1,772 and 1,759 templates, 19,593 probes; about
3 faces a medium): the templates (flip-sum, detector-score weighting, media then template
averaging), the 1:1 pair similarities, the 1:N search of every probe in both galleries
(`ijb_sets.score`), then the verification metrics of the pairs (`model_metrics.verification_metrics`).
Embedding the faces is the model's cost, not timed here.
"""

import time

import numpy as np

from bench import measure
from bench.results import Result
from components.embedding_evaluator import embedding, ijb_sets, model_metrics
from face_data.conversion.ijb import Protocol

NAME = "ijb"
DIM = 512
# IJB-C, per template.
FACES_PER_TEMPLATE = 469_375 / 23_124
PAIRS_PER_TEMPLATE = 15_658_489 / 23_124
GENUINE_SHARE = 19_557 / 15_658_489
GALLERY_SHARES = (1_772 / 23_124, 1_759 / 23_124)
FACES_PER_MEDIUM = 3
TARGET_SECONDS = 5.0  # per 1,000 templates: all of IJB-C in under 2 minutes


def synthetic_set(num_templates: int, seed: int = 0) -> ijb_sets.IjbSet:
    """Faces of `num_templates` templates, a subject's templates near one centre; IJB-C's proportions."""
    rng = np.random.default_rng(seed)
    gallery_sizes = [max(1, round(share * num_templates)) for share in GALLERY_SHARES]
    num_subjects = sum(gallery_sizes)
    # Gallery templates first, one a subject; every other template (a probe) of a random subject.
    subject_of = np.r_[np.arange(num_subjects), rng.integers(0, num_subjects, num_templates - num_subjects)]
    num_faces = round(FACES_PER_TEMPLATE * num_templates)
    template_of = np.r_[np.arange(num_templates), rng.integers(0, num_templates, num_faces - num_templates)]
    centres = rng.normal(size=(num_subjects, DIM)).astype(np.float32)
    faces = centres[subject_of[template_of]] + rng.normal(scale=1.5, size=(num_faces, DIM)).astype(np.float32)
    columns = {
        embedding.embedding_feature("candidate"): faces,
        embedding.embedding_feature("candidate", embedding.FLIPPED): faces + rng.normal(
            scale=0.3, size=faces.shape).astype(np.float32),
        embedding.TEMPLATE_FEATURE: template_of,
        embedding.MEDIA_FEATURE: rng.integers(0, max(1, num_faces // FACES_PER_MEDIUM), num_faces),
        embedding.DETECTOR_SCORE_FEATURE: rng.uniform(0.5, 1.0, (num_faces, 1)).astype(np.float32),
    }
    num_pairs = round(PAIRS_PER_TEMPLATE * num_templates)
    first, second = rng.integers(0, num_templates, (2, num_pairs))
    genuine = rng.random(num_pairs) < GENUINE_SHARE
    galleries, start = {}, 0
    for name, size in zip(("G1", "G2"), gallery_sizes):
        galleries[name] = np.stack([np.arange(start, start + size), subject_of[start:start + size]], axis=1)
        start += size
    probes = np.arange(num_subjects, num_templates)
    protocol = Protocol(np.stack([first, second, genuine], axis=1), galleries,
                        np.stack([probes, subject_of[probes]], axis=1))
    return ijb_sets.IjbSet(columns, protocol, detector_scores=True, flip=True, source="synthetic")


def run(settings, context):
    start = time.perf_counter()
    rows = []
    for num_templates in settings["templates"]:
        ijb_set = synthetic_set(num_templates)
        per_thousand = 1000 / num_templates
        scored = {}

        def score():
            scored["scores"], scored["searches"] = ijb_sets.score(ijb_set, "candidate")

        score_times = measure.time_calls(score, settings["repeats"])
        metric_times = measure.time_calls(
            lambda: model_metrics.verification_metrics(scored["scores"], ijb_set.is_same, seed=0), settings["repeats"])
        total = [a + b for a, b in zip(score_times, metric_times)]
        rows.append({
            "templates": f"{num_templates:,}",
            "faces": f"{len(ijb_set.columns[embedding.TEMPLATE_FEATURE]):,}",
            "pairs": f"{len(ijb_set.protocol.pairs):,}",
            "score": measure.summary(score_times),
            "metrics": measure.summary(metric_times),
            "per_thousand": measure.summary([seconds * per_thousand for seconds in total]),
        })
        del ijb_set, scored
    largest = rows[-1]
    return Result(
        name=NAME,
        title="IJB evaluation: templates, 1:1 and 1:N from face embeddings",
        target=f"<= {TARGET_SECONDS:g} s per 1,000 templates",
        columns=[("templates", "templates"), ("faces", "faces"), ("pairs", "1:1 pairs"),
                 ("score", "templates + pairs + 1:N (s)"), ("metrics", "verification metrics (s)"),
                 ("per_thousand", "per 1,000 templates (s)")],
        rows=rows,
        met=largest["per_thousand"]["median"] <= TARGET_SECONDS,
        verdict=f"{largest['per_thousand']['median']:.2f} s per 1,000 templates at {largest['templates']} templates",
        notes=[
            f"Synthetic {DIM}-d embeddings (and their mirror images') in IJB-C's proportions: "
            f"{FACES_PER_TEMPLATE:.1f} faces and {PAIRS_PER_TEMPLATE:.0f} pairs a template, galleries of 7.7% and "
            f"7.6% of the templates, the rest probes. {settings['repeats']} timed calls after 1 warm-up per size.",
            "Embedding the faces (twice with the flip test) is the model's cost and is not timed.",
        ],
        seconds=time.perf_counter() - start,
    )
