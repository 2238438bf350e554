"""What the inspection commands and the HTML report show, as plain rows read from ML Metadata.

Every function returns dicts and lists of JSON values, so one row serves a terminal table, `--json`
and the HTML report alike. Times are UTC, ISO 8601; durations are seconds.

ml-metadata 1.21 keeps 6 decimals of a float property (0.0000123 reads back as 1.2e-05), so the
metrics here are rounded so; `metrics.json` in the evaluation's URI has them whole.
"""

import datetime
from typing import Dict, List, Optional, Set

from google.protobuf import json_format
from ml_metadata.proto import metadata_store_pb2

from inspection import metadata

State = metadata_store_pb2.Execution.State
JSON_VALUE_KEY = "__value__"
# What TFX records on every artifact; an evaluation's other properties are its metrics.
TFX_PROPERTIES = {"is_external", "tfx_version"}
# The ModelBlessing property naming the model it judged (tfx.components.evaluator.constants).
CURRENT_MODEL_ID = "current_model_id"
MODEL, EVALUATION, BLESSING, PUSHED_MODEL = "Model", "ModelEvaluation", "ModelBlessing", "PushedModel"


def timestamp(milliseconds: int) -> str:
    """MLMD's milliseconds since the epoch as `2026-01-31T12:00:00Z`."""
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds(milliseconds: int) -> float:
    return round(milliseconds / 1000, 3)


def property_values(artifact) -> Dict[str, object]:
    """An artifact's properties and custom properties as plain values, sorted by name."""
    values = {}
    for properties in (artifact.properties, artifact.custom_properties):
        for name, value in properties.items():
            kind = value.WhichOneof("value")
            if kind == "struct_value":
                decoded = json_format.MessageToDict(value.struct_value)
                # TFX wraps a JSON value that is not an object as {"__value__": value}.
                values[name] = decoded.get(JSON_VALUE_KEY, decoded)
            elif kind == "proto_value":
                values[name] = value.proto_value.type_url
            else:
                values[name] = getattr(value, kind) if kind else None
    return dict(sorted(values.items()))


# What an execution still NEW or RUNNING in the store is shown as once its runner is gone (killed,
# or interrupted by Ctrl-C): nothing will ever finish it. A re-run resumes from what completed.
DEAD = "DEAD"
UNFINISHED = (State.NEW, State.RUNNING)


def _state_name(execution, dead: bool) -> str:
    return DEAD if dead and execution.last_known_state in UNFINISHED else State.Name(execution.last_known_state)


def _state_counts(executions, dead: bool) -> Dict[str, int]:
    counts = {}
    for execution in executions:
        name = _state_name(execution, dead)
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def dead_runs(store, pipeline_name: str, runner_alive: Optional[bool]) -> Set[str]:
    """The runs whose unfinished executions no runner is working on: every run but the newest (a
    runner works on one run, the one it started last), and the newest too when no runner holds the run
    folder's lock (`runner_alive` False; None, when it cannot be told, marks none: on a cluster runs
    may overlap)."""
    if runner_alive is None:
        return set()
    names = [run.name for run in metadata.pipeline_runs(store, pipeline_name)]
    return set(names if not runner_alive else names[:-1])


def runs(store, pipeline_name: str, runner_alive: Optional[bool] = None) -> List[dict]:
    """One row per run of the pipeline, oldest first: when, how long, how their executions ended.

    Given whether a runner holds the run folder's lock (`pipeline.run_lock.runner_alive`), the
    unfinished executions of dead runs (`dead_runs`) are counted as DEAD, not RUNNING.
    """
    dead = dead_runs(store, pipeline_name, runner_alive)
    rows = []
    for run in metadata.pipeline_runs(store, pipeline_name):
        executions = store.get_executions_by_context(run.id)
        start = min((e.create_time_since_epoch for e in executions), default=run.create_time_since_epoch)
        end = max((e.last_update_time_since_epoch for e in executions), default=None)
        rows.append(
            {
                "run": run.name,
                "started": timestamp(start),
                "duration_s": seconds(end - start) if end is not None else None,
                "executions": len(executions),
                "states": _state_counts(executions, run.name in dead),
            }
        )
    return rows


def executions(store, run: metadata_store_pb2.Context, dead: bool = False) -> List[dict]:
    """One row per component execution of a run, in the order they started; in a `dead` run (`dead_runs`)
    an unfinished execution is DEAD."""
    by_component = metadata.run_executions(store, run)
    ordered = sorted(by_component.items(), key=lambda item: (item[1].create_time_since_epoch, item[1].id))
    run_start = min((e.create_time_since_epoch for _, e in ordered), default=0)
    return [
        {
            "component": component,
            "execution": execution.id,
            "state": _state_name(execution, dead),
            "started": timestamp(execution.create_time_since_epoch),
            "offset_s": seconds(execution.create_time_since_epoch - run_start),
            "duration_s": _duration(execution),
            "type": execution.type,
        }
        for component, execution in ordered
    ]


def _duration(execution) -> Optional[float]:
    # An execution still going (or dead) has no end: its last update is when it started.
    if execution.last_known_state in (*UNFINISHED, State.UNKNOWN):
        return None
    return seconds(execution.last_update_time_since_epoch - execution.create_time_since_epoch)


def artifact_rows(store, artifacts) -> List[dict]:
    """One row per artifact, by id: type, who first wrote it (component and run), URI, properties."""
    artifacts = sorted(artifacts, key=lambda a: a.id)
    types = metadata.artifact_types(store, artifacts)
    first_writer = metadata.producers(store, [a.id for a in artifacts])
    origin = metadata.origins(store, first_writer.values())
    rows = []
    for artifact in artifacts:
        writer = origin.get(first_writer.get(artifact.id))
        rows.append(
            {
                "artifact": artifact.id,
                "type": types[artifact.type_id],
                "state": metadata_store_pb2.Artifact.State.Name(artifact.state),
                "producer": writer.component if writer else None,
                "run": writer.run if writer else None,
                "uri": artifact.uri,
                "properties": property_values(artifact),
            }
        )
    return rows


def run_artifacts(store, run: metadata_store_pb2.Context, type_name: Optional[str] = None) -> List[dict]:
    """Rows of the artifacts a run's executions wrote, optionally of one type only."""
    written = metadata.run_artifacts(store, run)
    if type_name is not None and type_name not in written:
        raise LookupError(
            f"expected an artifact type of run {run.name}, got '{type_name}'; "
            f"its types are: {', '.join(sorted(written))}"
        )
    chosen = [a for name, group in written.items() if type_name in (None, name) for a in group]
    return artifact_rows(store, chosen)


def _step_rows(store, steps) -> List[dict]:
    origin = metadata.origins(store, [s.execution.id for s in steps])
    return [
        {
            "depth": step.depth,
            "execution": step.execution.id,
            "component": origin[step.execution.id].component,
            "run": origin[step.execution.id].run,
            "state": State.Name(step.execution.last_known_state),
            "inputs": step.inputs,
            "outputs": step.outputs,
        }
        for step in steps
    ]


def lineage(store, artifact_id: int) -> dict:
    """Where an artifact came from and where it went: executions both ways, and every artifact met."""
    walks = {direction: metadata.lineage(store, artifact_id, direction) for direction in metadata.DIRECTIONS}
    met = {artifact_id}
    for steps in walks.values():
        for step in steps:
            met.update(step.inputs, step.outputs)
    artifacts = artifact_rows(store, store.get_artifacts_by_id(sorted(met)))
    return {
        "artifact": next(a for a in artifacts if a["artifact"] == artifact_id),
        # A model warm-started from another: which one (trainer.warm_start); None if trained from scratch.
        "started_from": metadata.started_from(store, artifact_id),
        **{direction: _step_rows(store, steps) for direction, steps in walks.items()},
        "artifacts": artifacts,
    }


def models(store, pipeline_name: str, run: Optional[metadata_store_pb2.Context] = None) -> List[dict]:
    """One row per verdict on each model, given in one run or in any: metrics, blessing, push.

    A verdict is a ModelBlessing naming the model as `current_model_id` (TFX's convention; an
    evaluator also reads the baseline model it compares with), with the ModelEvaluation written
    beside it. A cached verdict is the artifact it reuses, so it is listed once. A model without a
    verdict has one row with no metrics.
    """
    if run is None:
        pipeline = store.get_context_by_type_and_name(metadata.PIPELINE_CONTEXT, pipeline_name)
        scope = store.get_executions_by_context(pipeline.id) if pipeline else []
    else:
        scope = store.get_executions_by_context(run.id)
    in_scope = {e.id for e in scope}
    trained = metadata.written_artifacts(store, scope).get(MODEL, [])
    rows = []
    for model in artifact_rows(store, trained):
        model["started_from"] = metadata.started_from(store, model["artifact"])
        readers = [
            step
            for step in metadata.lineage(store, model["artifact"], "downstream", max_depth=1)
            if step.execution.id in in_scope
        ]
        written = {row["artifact"]: row for row in _written_rows(store, readers)}
        blessings = [
            row for row in written.values()
            if row["type"] == BLESSING and row["properties"].get(CURRENT_MODEL_ID) == model["artifact"]
        ]
        for blessing in blessings or [None]:
            rows.append(_verdict(model, blessing, readers, written))
    return rows


def _written_rows(store, steps) -> List[dict]:
    ids = sorted({a for step in steps for a in step.outputs})
    return artifact_rows(store, store.get_artifacts_by_id(ids)) if ids else []


def _verdict(model: dict, blessing: Optional[dict], readers, written: Dict[int, dict]) -> dict:
    """A model's row: the blessing, the evaluation written with it, and what was pushed with it."""

    def written_by(steps, type_name):
        return next((written[a] for s in steps for a in s.outputs if written[a]["type"] == type_name), {})

    blessing = blessing or {}
    evaluation = written_by([s for s in readers if blessing.get("artifact") in s.outputs], EVALUATION)
    pushed = written_by([s for s in readers if blessing.get("artifact") in s.inputs], PUSHED_MODEL)
    blessed = blessing.get("properties", {}).get("blessed")
    pushed_properties = pushed.get("properties", {})
    return {
        "model": model["artifact"],
        "run": model["run"],
        "uri": model["uri"],
        "started_from": model["started_from"],
        "evaluation": evaluation.get("artifact"),
        "evaluation_uri": evaluation.get("uri"),
        "metrics": {k: v for k, v in evaluation.get("properties", {}).items() if k not in TFX_PROPERTIES},
        "blessed": None if blessed is None else bool(blessed),
        "blessing_message": blessing.get("properties", {}).get("blessing_message"),
        "pushed_to": pushed_properties.get("pushed_destination") if pushed_properties.get("pushed") else None,
    }
