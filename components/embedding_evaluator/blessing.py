"""The blessing policy, the verdict it gives on a model, and the ModelBlessing artifact that records it.

A model is blessed when every check passes: absolute thresholds on its own metrics (on the eval
split, at the operating point, and on each named pairs set with that set's own thresholds), and,
when a baseline (the latest blessed model) was scored on the same pairs, a bounded loss against
it. As
with TFX's Evaluator, change thresholds are not checked when there is no baseline yet. The artifact
follows the Evaluator's conventions (`blessed`, `current_model[_id]`, `baseline_model[_id]`, a
BLESSED or NOT_BLESSED file), so the stock Pusher and `LatestBlessedModelStrategy` understand it,
and it holds `verification.json`, the operating point (threshold) the Pusher ships beside the model.

Example:
    >>> policy = BlessingPolicy(min_verification_accuracy=0.7, max_regression_from_blessed={"eer": 0.0})
    >>> verdict = judge(policy, {"verification_accuracy": 0.8, "eer": 0.21}, baseline={"eer": 0.2})
    >>> verdict.blessed, verdict.checks[-1]
    (False, 'FAIL eer 0.2100 vs blessed 0.2000: worse by 0.0100, more than the 0.0000 tolerated')
"""

import dataclasses
import os
from typing import List, Mapping, Optional

from tfx.components.evaluator import constants
from tfx.types import Artifact
from tfx.utils import io_utils

from serving import verification_file
from verification import groups
from components.embedding_evaluator.catalog import (ALL_PAIRS, GROUPS, LOWER_IS_BETTER, MIN_VERIFICATION_ACCURACY,
                                                   OPERATING_POINT, tar_key)


@dataclasses.dataclass(frozen=True)
class SetPolicy:
    """What a model must achieve on one set of pairs; see configs/evaluation.py. No minimum unless given."""

    min_verification_accuracy: float = 0.0
    min_tar_at_far: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max_regression_from_blessed: Mapping[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class BlessingPolicy(SetPolicy):
    """What a model must achieve to be blessed; see configs/evaluation.py, EvaluatorConfig.

    The inherited thresholds apply to the eval split; `pair_sets` holds each named pairs set's
    own, `min_tar_at_operating_point` the least TAR at the shipped threshold, and
    `max_group_rate_factor` how many times the overall FAR and FRR a group's may be, and
    `every_pair_min_tar_at_far` the least TAR at each FAR over every pair of the eval split.
    """

    min_verification_accuracy: float = MIN_VERIFICATION_ACCURACY  # on the eval split, the configs' default
    min_tar_at_operating_point: Optional[float] = None
    max_group_rate_factor: Optional[float] = None
    every_pair_min_tar_at_far: Mapping[str, float] = dataclasses.field(default_factory=dict)
    pair_sets: Mapping[str, SetPolicy] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json_dict(cls, values: Mapping) -> "BlessingPolicy":
        """The policy from `dataclasses.asdict` of one (as the component passes it to the executor)."""
        sets = {name: SetPolicy(**policy) for name, policy in values.get("pair_sets", {}).items()}
        return cls(**{**values, "pair_sets": sets})


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether the model is blessed, and one line per check ("PASS ..." or "FAIL ...")."""

    blessed: bool
    checks: List[str]

    @property
    def message(self) -> str:
        return "; ".join(self.checks)


def _at_least(name: str, value, minimum: float) -> str:
    if isinstance(value, str):  # a metric the pairs cannot measure says why instead of a number
        return f"FAIL {name} {value}, required >= {minimum:.4f}"
    return f"{'PASS' if value >= minimum else 'FAIL'} {name} {value:.4f}, required >= {minimum:.4f}"


def _no_worse(name: str, value, baseline_value, tolerance: float) -> str:
    if isinstance(value, str) or isinstance(baseline_value, str):
        return f"FAIL {name} cannot be compared: candidate {value}, blessed {baseline_value}"
    loss = value - baseline_value if name in LOWER_IS_BETTER else baseline_value - value
    if loss > tolerance:
        return (f"FAIL {name} {value:.4f} vs blessed {baseline_value:.4f}: worse by {loss:.4f}, "
                f"more than the {tolerance:.4f} tolerated")
    return f"PASS {name} {value:.4f} vs blessed {baseline_value:.4f} (tolerated loss {tolerance:.4f})"


def _set_checks(policy: SetPolicy, candidate: Mapping, baseline: Optional[Mapping], prefix: str = "") -> List[str]:
    """The checks of one set of pairs; metric names carry `prefix` ("lfw/") for a named set."""
    checks = [_at_least(prefix + "verification_accuracy", candidate["verification_accuracy"],
                        policy.min_verification_accuracy)]
    checks += [_at_least(prefix + tar_key(far), candidate[tar_key(far)], minimum)
               for far, minimum in sorted(policy.min_tar_at_far.items())]
    if policy.max_regression_from_blessed:
        if baseline is None:
            of_set = f" of {prefix.rstrip('/')}" if prefix else ""
            checks.append(f"PASS no blessed model yet: change thresholds{of_set} not checked")
        else:
            checks += [_no_worse(prefix + name, candidate[name], baseline[name], tolerance)
                       for name, tolerance in sorted(policy.max_regression_from_blessed.items())]
    return checks


def _operating_point_check(point: Mapping, minimum: float) -> str:
    if "refused" in point:  # the pairs cannot resolve the FAR asked for: there is no threshold to ship
        return f"FAIL operating point refused: {point['refused']}"
    return _at_least(f"tar_at_operating_point ({point['criterion']}, threshold {point['threshold']:.4f})",
                     point["tar"], minimum)


# A group's rate, its error and pair counts, and the operating point's count of all such pairs.
_GROUP_RATES = (("far", "false_accepts", "impostor_pairs", "num_negative_pairs"),
                ("frr", "false_rejects", "genuine_pairs", "num_positive_pairs"))


def _group_checks(factor: float, candidate: Mapping) -> List[str]:
    """Each group's FAR and FRR at the shipped threshold against `factor` times the overall rate.

    The overall rate is the operating point's over the same pairs; when it counted no error at
    all, one error in its pairs stands in for it, so a group is not failed for a single error
    the whole set could not have shown either.
    """
    point, found = candidate.get(OPERATING_POINT, {}), candidate.get(GROUPS)
    if not found:
        return [f"FAIL max_group_rate_factor {factor:g} is set, but the eval records carry no attributes to "
                "group by (convert them with --attributes CSV)"]
    if "refused" in point:
        return [f"FAIL group rates cannot be judged without an operating point: {point['refused']}"]
    checks = []
    for attribute, rates in sorted(found.items()):
        if "refused" in rates:
            checks.append(f"FAIL groups of {attribute}: {rates['refused']}")
            continue
        for name, entry in sorted(rates[groups.WITHIN].items()):
            for rate, errors, group_pairs, all_pairs in _GROUP_RATES:
                if entry[rate] is None:
                    continue
                overall = max(point[rate], 1 / point[all_pairs])
                verdict = "PASS" if entry[rate] <= factor * overall else "FAIL"
                checks.append(f"{verdict} group {attribute}={name} {rate.upper()} {entry[rate]:.3g} ({entry[errors]} of "
                              f"{entry[group_pairs]}) vs overall {point[rate]:.3g}: at most {factor:g}x allowed")
    return checks


def judge(policy: BlessingPolicy, candidate: Mapping, baseline: Optional[Mapping] = None) -> Verdict:
    """Checks the candidate's metrics (and its change against the baseline's) against the policy.

    `candidate` and `baseline` hold the eval split's metrics at the top level, and, when they
    were measured, `operating_point` and `pair_sets` ({name: that set's metrics}).
    """
    checks = _set_checks(policy, candidate, baseline)
    point = candidate.get("operating_point")
    if policy.min_tar_at_operating_point is not None or (point is not None and "refused" in point):
        checks.append(_operating_point_check(point, policy.min_tar_at_operating_point or 0.0))
    if policy.max_group_rate_factor is not None:
        checks += _group_checks(policy.max_group_rate_factor, candidate)
    every = candidate.get(ALL_PAIRS, {})
    checks += [_at_least(f"{ALL_PAIRS}/{tar_key(far)}", every.get(tar_key(far), "not scored (evaluator.every_pair)"),
                         minimum) for far, minimum in sorted(policy.every_pair_min_tar_at_far.items())]
    for name, set_policy in sorted(policy.pair_sets.items()):
        checks += _set_checks(set_policy, candidate["pair_sets"][name],
                              None if baseline is None else baseline["pair_sets"][name], f"{name}/")
    return Verdict(all(check.startswith("PASS") for check in checks), checks)


def write_blessing(blessing: Artifact, model: Artifact, baseline_model: Optional[Artifact],
                   verdict: Verdict, operating_point: Mapping) -> None:
    """Records the verdict in `blessing` the way TFX's Evaluator does, plus the operating point to ship.

    `operating_point` (operating_point.OperatingPoint.as_dict(), or {"refused": why}) holds the
    cosine similarity `threshold` at and above which two faces are the same person.
    """
    name = constants.BLESSED_FILE_NAME if verdict.blessed else constants.NOT_BLESSED_FILE_NAME
    io_utils.write_string_file(os.path.join(blessing.uri, name), "\n".join(verdict.checks) + "\n")
    blessing.set_int_custom_property(
        constants.ARTIFACT_PROPERTY_BLESSED_KEY,
        constants.BLESSED_VALUE if verdict.blessed else constants.NOT_BLESSED_VALUE,
    )
    blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY, model.uri)
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model.id)
    if baseline_model is not None:
        blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY,
                                            baseline_model.uri)
        blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY, baseline_model.id)
    blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY, verdict.message)
    verification_file.write(blessing.uri, operating_point, model.uri, verdict.checks)
