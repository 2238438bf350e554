"""The evaluation report's layout, defined once: `metrics.json` and the ModelEvaluation's properties.

The evaluator writes `metrics.json` (`catalog.METRICS_FILE`) as one nested dict: the candidate's
metrics on the eval split's pairs at the top level (`catalog.VERIFICATION_METRICS`, ...) with the
pairs' size and source (`NUM_PAIRS`, `PAIRS_SOURCE`, `NUM_IMAGES`, `NUM_IDENTITIES`), the shipped
`catalog.OPERATING_POINT` (its threshold, rates and counts, or why it was `REFUSED`), each named
set's metrics under `catalog.PAIR_SETS` (an IJB set's with its sizes, `FACES` ... `PROBES`, and
its 1:N figures per gallery under `catalog.IDENTIFICATION`: rank-k, TPIR and threshold at each
FPIR, and the searches they rest on, `NUM_MATED_SEARCHES` ...), the TARs over every pair under
`catalog.ALL_PAIRS` (with `NUM_IMPOSTOR_PAIRS`, ...), the rates per group under `catalog.GROUPS`
(verification/groups.py's), the `MODEL` and `BASELINE_MODEL` URIs, and in the file only
the baseline's metrics (`BASELINE`), the verdict (`BLESSED`) and its `CHECKS`.

The artifact carries the candidate's numbers and strings as custom properties, nested keys joined by
"/" (`operating_point/threshold`, `pair_sets/lfw/verification_accuracy`): `properties` makes them,
`unflatten` gives the nested dict back. This module imports nothing but the catalog: the run summary
(runners/report.py) and inspection read reports through it without TensorFlow.

Example:

>>> flat = properties({"auc": 0.99, "operating_point": {"threshold": 0.42, "far_interval": [0.0, 0.01]},
...                    "checks": ["auc 0.99 >= 0.9"]})
>>> flat
{'auc': 0.99, 'operating_point/threshold': 0.42}
>>> unflatten(flat)["operating_point"]["threshold"]
0.42
"""

from typing import Dict, Iterator, Mapping, Tuple, Union

Scalar = Union[str, int, float]

SEPARATOR = "/"  # joins nested report keys into one property name
# Beside the metrics: the models compared (URIs), and what only metrics.json holds.
MODEL, BASELINE_MODEL = "model", "baseline_model"
BASELINE, BLESSED, CHECKS = "baseline", "blessed", "checks"
FILE_ONLY = (BASELINE, BLESSED, CHECKS)
# The size and source of the pairs a set of metrics was measured on (each named set has its own).
NUM_PAIRS, PAIRS_SOURCE = "num_pairs", "pairs_source"
NUM_IMAGES, NUM_IDENTITIES = "num_images", "num_identities"  # of the eval split
VERIFICATION_ACCURACY_STD = "verification_accuracy_std"  # across the protocol's folds
REFUSED = "refused"  # in place of an operating point (or a rate) the pairs cannot resolve: why
# An IJB set's sizes beside its figures (ijb_sets.py): faces and templates embedded, whether mirror
# images were added and detector scores weighed, each gallery's templates, the probes.
FACES, TEMPLATES, FLIP, DETECTOR_SCORES, GALLERIES, PROBES = (
    "faces", "templates", "flip", "detector_scores", "galleries", "probes")
# What a gallery's 1:N figures rest on: searches of enrolled subjects, of others, the gallery's size.
NUM_MATED_SEARCHES, NUM_NONMATED_SEARCHES, GALLERY_SIZE = "num_mated_searches", "num_nonmated_searches", "gallery_size"
# Every pair of a set (`catalog.ALL_PAIRS`, every_pair.py): how many, how far down thresholds are
# exact, and how its intervals were drawn.
NUM_IMPOSTOR_PAIRS, NUM_GENUINE_PAIRS = "num_impostor_pairs", "num_genuine_pairs"
EXACT_TO_FAR, INTERVALS = "exact_to_far", "intervals"


def _scalars(values: Mapping, prefix: str = "") -> Iterator[Tuple[str, Scalar]]:
    for key, value in values.items():
        if isinstance(value, Mapping):
            yield from _scalars(value, f"{prefix}{key}{SEPARATOR}")
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            yield prefix + key, value


def properties(report: Mapping) -> Dict[str, Scalar]:
    """The artifact's custom properties of a report: every number and string of the candidate's part,
    nested keys joined by "/"; lists, booleans, nulls and the `FILE_ONLY` keys left out."""
    return dict(_scalars({key: value for key, value in report.items() if key not in FILE_ONLY}))


def unflatten(flat: Mapping[str, Scalar]) -> dict:
    """The nested report of an evaluation's properties, as `properties` flattened it."""
    nested: dict = {}
    for key, value in flat.items():
        *parents, name = key.split(SEPARATOR)
        branch = nested
        for parent in parents:
            branch = branch.setdefault(parent, {})
        branch[name] = value
    return nested
