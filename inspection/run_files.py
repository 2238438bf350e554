"""What the HTML report reads from a run's artifact files, with no TensorFlow (it stays quick).

- `training_curves`: the Trainer's TensorBoard scalars, {tag: [(step, value), ...]} by step.
- `split_statistics`: StatisticsGen's figures per split: examples, and per feature its kind,
  missing values and (where TFDV counted them) distinct values and sizes.
- `anomalies`: ExampleValidator's findings per split, {feature: description}.
- `evaluation_report`: the EmbeddingEvaluator's metrics.json, or None.

Example:
    >>> curves = training_curves("runs/demo/pipeline/Trainer/model_run/7")
    >>> curves["loss"][:2]
    [(10, 21.3), (20, 19.8)]
"""

import glob
import json
import os
from typing import Dict, List, Optional, Tuple

import numpy as np
from tensorboard.compat.proto import event_pb2, types_pb2
# TensorBoard's own reader of TFRecord files, used when TensorFlow is absent: plain Python.
from tensorboard.compat.tensorflow_stub import errors as stub_errors
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from components.embedding_evaluator.catalog import METRICS_FILE

EVENT_FILES = "events.out.tfevents.*"
STATISTICS_FILE = "FeatureStats.pb"  # in <StatisticsGen output>/Split-<name>/
ANOMALIES_FILE = "SchemaDiff.pb"  # in <ExampleValidator output>/Split-<name>/
_SPLIT_PREFIX = "Split-"


def _records(path: str):
    reader = PyRecordReader_New(path)
    while True:
        try:
            reader.GetNext()
        except stub_errors.OutOfRangeError:
            return
        yield reader.record()


def _scalar(value) -> Optional[float]:
    if value.HasField("simple_value"):  # TF1-style summaries
        return value.simple_value
    tensor = value.tensor
    if tensor.float_val:
        return tensor.float_val[0]
    if tensor.double_val:
        return tensor.double_val[0]
    dtypes = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_DOUBLE: np.float64}
    if tensor.tensor_content and tensor.dtype in dtypes:
        return float(np.frombuffer(tensor.tensor_content, dtype=dtypes[tensor.dtype])[0])
    return None


def training_curves(log_dir: str) -> Dict[str, List[Tuple[int, float]]]:
    """{tag: [(step, value)]} of every scalar in the event files of `log_dir`; a later write of a step wins."""
    curves: Dict[str, Dict[int, float]] = {}
    for path in sorted(glob.glob(os.path.join(glob.escape(log_dir), EVENT_FILES))):
        for record in _records(path):
            event = event_pb2.Event.FromString(record)
            for value in event.summary.value:
                number = _scalar(value)
                if number is not None:
                    curves.setdefault(value.tag, {})[event.step] = number
    return {tag: sorted(points.items()) for tag, points in sorted(curves.items())}


def _splits(uri: str, file_name: str) -> Dict[str, str]:
    found = glob.glob(os.path.join(glob.escape(uri), _SPLIT_PREFIX + "*", file_name))
    return {os.path.basename(os.path.dirname(path))[len(_SPLIT_PREFIX):]: path for path in sorted(found)}


def _feature_row(feature) -> dict:
    kind = feature.WhichOneof("stats")
    stats = getattr(feature, kind)
    common = stats.common_stats
    row = {"feature": feature.path.step[-1] if feature.path.step else feature.name,
           "type": statistics_pb2.FeatureNameStatistics.Type.Name(feature.type).lower(),
           "present": common.num_non_missing, "missing": common.num_missing}
    if kind == "string_stats":
        row["distinct"] = stats.unique
    elif kind == "num_stats":
        row["range"] = f"{stats.min:g} .. {stats.max:g}"
    elif kind == "bytes_stats":
        row["distinct"] = stats.unique
        row["bytes"] = f"{stats.min_num_bytes:.0f} .. {stats.max_num_bytes:.0f} (mean {stats.avg_num_bytes:.0f})"
    return row


def split_statistics(statistics_uri: str) -> Dict[str, dict]:
    """{split: {"examples": n, "features": [row per feature]}} from StatisticsGen's output."""
    found = {}
    for split, path in _splits(statistics_uri, STATISTICS_FILE).items():
        with open(path, "rb") as file:
            statistics = statistics_pb2.DatasetFeatureStatisticsList.FromString(file.read())
        for dataset in statistics.datasets:
            found[split] = {"examples": dataset.num_examples, "features": [_feature_row(f) for f in dataset.features]}
    return found


def anomalies(anomalies_uri: str) -> Dict[str, Dict[str, str]]:
    """{split: {feature (or "dataset"): description}} from ExampleValidator's output; empty dicts if clean."""
    found = {}
    for split, path in _splits(anomalies_uri, ANOMALIES_FILE).items():
        with open(path, "rb") as file:
            result = anomalies_pb2.Anomalies.FromString(file.read())
        problems = {name: info.description or info.short_description for name, info in result.anomaly_info.items()}
        if result.HasField("dataset_anomaly_info"):
            problems["dataset"] = result.dataset_anomaly_info.description
        found[split] = dict(sorted(problems.items()))
    return found


def evaluation_report(evaluation_uri: Optional[str]) -> Optional[dict]:
    """The evaluator's metrics.json (candidate metrics, "baseline", "checks", sizes), or None if absent."""
    path = os.path.join(evaluation_uri or "", METRICS_FILE)
    if not evaluation_uri or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as file:
        return json.load(file)
