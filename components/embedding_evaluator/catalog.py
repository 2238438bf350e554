"""What the evaluator reports and blesses on, by name; imports nothing (no TensorFlow, no NumPy).

The one definition of the metric names and of the blessing policy's default: the evaluator
computes the metrics (`model_metrics`), the policy checks them (`blessing`), and the pipeline
config validates its thresholds against them (`configs/evaluation.py`) without loading TFX.

Example:

>>> tar_key("1e-3"), "rank_5" in COMPARABLE_METRICS
('tar_at_far_1e-3', True)
"""

# Report keys of the false-accept rates where the true-accept rate is measured.
FARS = {"1e-1": 1e-1, "1e-2": 1e-2, "1e-3": 1e-3, "1e-4": 1e-4}
# Every pair of the eval split (all-vs-all), and an IJB set's template pairs (IJB-C: 15.6 million
# impostor pairs), resolve far lower FARs: these where they hold enough pairs.
ALL_PAIRS_FARS = {"1e-1": 1e-1, "1e-2": 1e-2, "1e-3": 1e-3, "1e-4": 1e-4, "1e-5": 1e-5, "1e-6": 1e-6}
# Closed-set identification: is the right identity among the k nearest gallery faces?
RANKS = (1, 5)
# Open-set identification (IJB's 1:N): the false-positive identification rates at which the
# true-positive identification rate is reported.
FPIRS = {"1e-2": 1e-2, "1e-1": 1e-1}
# Kinds of named sets (`evaluator.pairs.<name>.type`): pair records, or an IJB-B / IJB-C set
# (template-face records and its protocol, `python -m face_data ijb`).
PAIRS_SET, IJB_SET = "pairs", "ijb"
SET_TYPES = (PAIRS_SET, IJB_SET)
# For these metrics lower is better; for every other number reported higher is better.
LOWER_IS_BETTER = frozenset({"eer"})
# The pairs drawn from the eval split go by this name beside the named pairs sets (`evaluator.pairs`).
EVAL_PAIRS = "eval"
# Report keys: the shipped operating point, each named pairs set's metrics, the eval split's
# all-vs-all figures, and the FAR and FRR per group of each attribute the eval records carry.
OPERATING_POINT = "operating_point"
PAIR_SETS = "pair_sets"
# An IJB set's 1:N figures, under its entry in PAIR_SETS: {gallery: {rank_k, tpir_at_fpir_.., ...}}.
IDENTIFICATION = "identification"
ALL_PAIRS = "all_pairs"
GROUPS = "groups"
# Same-identity pairs drawn from the eval split at most (as many different-identity ones), unless configured.
MAX_POSITIVE_PAIRS = 3000
# The least LFW-protocol verification accuracy a model needs to be blessed, unless configured.
MIN_VERIFICATION_ACCURACY = 0.7


def tar_key(far: str) -> str:
    """The report key of the TAR at a FAR key: `tar_key("1e-3") == "tar_at_far_1e-3"`."""
    return f"tar_at_far_{far}"


def interval_key(key: str) -> str:
    """The report key of a figure's confidence interval: `interval_key("tar_at_far_1e-4") == "tar_at_far_1e-4_interval"`."""
    return f"{key}_interval"


def rank_key(k: int) -> str:
    """The report key of rank-k identification: `rank_key(5) == "rank_5"`."""
    return f"rank_{k}"


def tpir_key(fpir: str) -> str:
    """The report key of the TPIR at an FPIR key: `tpir_key("1e-2") == "tpir_at_fpir_1e-2"`."""
    return f"tpir_at_fpir_{fpir}"


def fpir_threshold_key(fpir: str) -> str:
    """The report key of the similarity threshold giving an FPIR: `fpir_threshold_key("1e-2") == "threshold_at_fpir_1e-2"`."""
    return f"threshold_at_fpir_{fpir}"


# Metrics measured on any set of pairs (the eval split's and each named set's).
VERIFICATION_ACCURACY, AUC, EER = "verification_accuracy", "auc", "eer"
VERIFICATION_METRICS = (VERIFICATION_ACCURACY, AUC, EER, *(tar_key(far) for far in FARS))
# Metrics a model can be compared on with its predecessor (`LOWER_IS_BETTER` says which way):
# on a named set its verification metrics, on the eval split identification as well.
COMPARABLE_METRICS = (*VERIFICATION_METRICS, *(rank_key(k) for k in RANKS))

# The hardest false accepts and rejects (failure_cases.py): a JSON file and a folder of thumbnails.
FAILURE_CASES_FILE, FAILURE_CASES_FOLDER = "failure_cases.json", "failure_cases"

# The files of a ModelEvaluation (executor.write_evaluation), which the run report reads back.
METRICS_FILE = "metrics.json"
# What the figures and failure cases call the threshold they are drawn at: the one shipped in
# verification.json, or, when the operating point was refused and none was shipped (nothing is
# pushed), the most accurate one, which must not pass for a shipped one.
SHIPPED_THRESHOLD = "shipped threshold"
UNSHIPPED_THRESHOLD = "most accurate threshold (none shipped: operating point refused)"
ROC_PLOT, HISTOGRAM_PLOT, SEPARATION_PLOT = "roc.png", "similarity_histogram.png", "identity_separation.png"
FIGURES = (ROC_PLOT, HISTOGRAM_PLOT, SEPARATION_PLOT)  # in the order a reader wants them
