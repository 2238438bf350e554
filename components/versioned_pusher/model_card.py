"""The model card of a pushed version, from the run that made it: use, data, figures, operating point, lineage.

Filled from the EmbeddingEvaluator's `metrics.json` (every set's and group's figures with their
intervals, the operating point), StatisticsGen's statistics (faces per split; identities and
attribute values where the statistics count them) and the artifacts' ML Metadata ids. The layout
is Model Card Toolkit's schema (serving/model_card.py says why and owns the file names).

Example:
    >>> card = build(metrics, statistics={"train": stats}, lineage={"Model": 12, "ModelBlessing": 14},
    ...              model_name="arcface", version_dir="/srv/models/arcface/1760000000")
    >>> card["quantitative_analysis"]["performance_metrics"][0]["type"]
    'TAR at FAR 1e-4'
"""

import datetime
import json
import os
from typing import Dict, List, Mapping, Optional

from components.embedding_evaluator.catalog import (ALL_PAIRS, ALL_PAIRS_FARS, FARS, GROUPS, IDENTIFICATION,
                                                   OPERATING_POINT, PAIR_SETS, RANKS, VERIFICATION_METRICS,
                                                   interval_key, rank_key, tar_key)
from components.embedding_evaluator import report
from serving import model_card, verification_file
from verification import groups as group_rates

OVERVIEW = ("A face-embedding model trained with the ArcFace loss: two face images show the same person when "
            "the cosine similarity of their embeddings is at least the shipped threshold ({threshold}).")
USE_CASES = [
    "1:1 verification of cooperative users (is this the person they claim to be?) at the shipped threshold, "
    "on aligned face crops like the training data's.",
    "1:N search of a gallery, with a threshold chosen for the gallery's size (a FAR per comparison multiplies "
    "with the gallery).",
]
USERS = ["ML engineers who deploy face verification or search and must know its error rates before they do."]
LIMITATIONS = [
    "Out of scope: liveness and anti-spoofing. The model compares faces; a printed photo, a screen replay or a "
    "mask of an enrolled person is accepted like the person. Pair it with presentation-attack detection.",
    "Out of scope: deciding about people without human review where a false match has serious consequences "
    "(law enforcement, access to benefits), and inferring attributes (age, sex, ethnicity, emotion) from faces.",
    "The figures hold for faces like the eval split's (people the model never saw, from the same source); "
    "other cameras, poses, ages or populations can have other error rates.",
]
FAIRNESS = ("Per-group false-accept and false-reject rates at the shipped threshold are in the figures when the "
            "records carry attributes (`--attributes CSV`); evaluator.max_group_rate_factor can refuse a model "
            "whose worst group errs more than that many times as often as all faces do.")


def _value(value) -> str:
    return value if isinstance(value, str) else f"{value:.4g}"


def _metric(kind: str, value, where: str, interval=None) -> dict:
    metric = {"type": kind, "value": _value(value), "slice": where}
    if interval:
        metric["confidence_interval"] = {"lower_bound": _value(interval[0]), "upper_bound": _value(interval[1])}
    return metric


def _set_metrics(values: Mapping, where: str, fars: Mapping) -> List[dict]:
    """A set's verification figures, its TARs (with intervals where it has them) and any 1:N figures."""
    tars = {tar_key(far) for far in FARS}
    metrics = [_metric(name, values[name], where) for name in VERIFICATION_METRICS
               if name in values and name not in tars]
    metrics += [_metric(f"TAR at FAR {far}", values[tar_key(far)], where, values.get(interval_key(tar_key(far))))
                for far in fars if tar_key(far) in values]
    for gallery, found in values.get(IDENTIFICATION, {}).items():
        metrics += [_metric(name, value, f"{where}, 1:N gallery {gallery}") for name, value in found.items()
                    if isinstance(value, (int, float))]
    return metrics


def _point_metrics(point: Mapping) -> List[dict]:
    if report.REFUSED in point:
        return [_metric("operating point", point[report.REFUSED], report.REFUSED)]
    where = f"operating point: threshold {point['threshold']:.4f} ({point['criterion']}, {point['pairs']})"
    return [_metric("FAR", point["far"], where, point.get("far_interval")),
            _metric("FRR", point["frr"], where, point.get("frr_interval"))]


def _group_metrics(groups: Mapping) -> List[dict]:
    metrics = []
    for attribute, rates in sorted(groups.items()):
        if report.REFUSED in rates:
            metrics.append(_metric("group rates", rates[report.REFUSED], attribute))
            continue
        for kind in (group_rates.WITHIN, group_rates.ACROSS):
            for name, entry in sorted(rates[kind].items()):
                for rate in ("far", "frr"):
                    if entry[rate] is not None:
                        metrics.append(_metric(rate.upper(), entry[rate], f"{attribute}={name} ({kind})",
                                               entry.get(f"{rate}_interval")))
    return metrics


def _data(statistics: Mapping[str, object], metrics: Mapping) -> List[dict]:
    """One dataset entry per split of the run's statistics, and one per named evaluation set."""
    data = []
    for split, stats in sorted(statistics.items()):
        dataset = stats.datasets[0]
        described = [f"{dataset.num_examples} face records (split '{split}' of the run's examples)"]
        for feature in dataset.features:
            if feature.HasField("string_stats") and feature.string_stats.unique:
                top = ", ".join(f"{value.value} {value.frequency:.0f}" for value in feature.string_stats.top_values[:5])
                described.append(f"{feature.path.step[-1]}: {feature.string_stats.unique} distinct ({top})")
        data.append({"name": f"{split} split", "description": "; ".join(described)})
    data.append({"name": "eval split pairs", "description": (
        f"{metrics.get(report.NUM_IMAGES)} faces of {metrics.get(report.NUM_IDENTITIES)} identities never trained "
        f"on; {metrics.get(ALL_PAIRS, {}).get(report.NUM_IMPOSTOR_PAIRS, 'no')} different-identity pairs scored "
        "all-vs-all")})
    for name, values in sorted(metrics.get(PAIR_SETS, {}).items()):
        data.append({"name": name, "description": str(values.get(report.PAIRS_SOURCE, "named evaluation set"))})
    return data


def build(metrics: Mapping, statistics: Mapping[str, object], lineage: Mapping[str, Optional[int]], model_name: str,
          version_dir: str, verification: Mapping) -> dict:
    """The card (Model Card Toolkit's schema field names) of the version in `version_dir`.

    `metrics` is the evaluator's metrics.json, `statistics` {split: DatasetFeatureStatisticsList},
    `lineage` {artifact type: ML Metadata id}, `verification` the version's verification.json.
    """
    point = metrics.get(OPERATING_POINT, {})
    performance = [*_set_metrics(metrics.get(ALL_PAIRS, {}), "eval split, every pair", ALL_PAIRS_FARS),
                   *_point_metrics(point),
                   *_set_metrics(metrics, "eval split, drawn pairs", FARS),
                   *[_metric(name, metrics[name], "eval split, 1 gallery face per identity")
                     for name in map(rank_key, RANKS) if name in metrics]]
    for name, values in sorted(metrics.get(PAIR_SETS, {}).items()):
        performance += _set_metrics(values, name, FARS)
    performance += _group_metrics(metrics.get(GROUPS, {}))
    threshold = verification.get("threshold")
    tradeoff = (f"Shipped threshold {threshold:.4f} ({point.get('criterion')} on {point.get('pairs')}): FAR "
                f"{point.get('far', 0):.3g}, FRR {point.get('frr', 0):.3g}. A higher threshold accepts fewer "
                "impostors and rejects more genuine users." if threshold is not None else
                f"No threshold: {point.get('refused', 'the operating point was not chosen')}")
    return {
        "schema_version": model_card.SCHEMA_VERSION,
        "model_details": {
            "name": model_name,
            "overview": OVERVIEW.format(threshold="none" if threshold is None else f"{threshold:.4f}"),
            "version": {"name": os.path.basename(version_dir.rstrip("/")),
                        "date": datetime.date.today().isoformat()},
            "references": [{"reference": f"mlmd:artifact/{artifact_id}#{kind}"}
                           for kind, artifact_id in sorted(lineage.items()) if artifact_id is not None],
            "path": version_dir,
        },
        "model_parameters": {
            "model_architecture": "ArcFace-trained embedding network (arcface_module), exported as a SavedModel",
            "data": _data(statistics, metrics),
            "input_format": verification_file.SIGNATURE,
            "output_format": f"an L2-normalised embedding; {verification_file.DECISION}",
        },
        "quantitative_analysis": {"performance_metrics": performance},
        "considerations": {
            "users": [{"description": text} for text in USERS],
            "use_cases": [{"description": text} for text in USE_CASES],
            "limitations": [{"description": text} for text in LIMITATIONS],
            "tradeoffs": [{"description": tradeoff}],
            "ethical_considerations": [{"name": "Error rates differ between groups of people",
                                        "mitigation_strategy": FAIRNESS}],
        },
    }


def files(card: Dict) -> Dict[str, str]:
    """{file name: text} of the card in a version folder: the JSON and its readable page."""
    return {model_card.FILE_NAME: json.dumps(card, indent=2), model_card.PAGE_NAME: model_card.render_page(card)}
