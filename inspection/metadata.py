"""Store access and walking: a pipeline's runs, executions, artifacts and lineage in ML Metadata.

How TFX records a run: the run is a `pipeline_run` context, a child of the `pipeline` context; each
execution is attributed to both and to its component's `node` context ("<pipeline>.<component>");
events link an execution to the artifacts it read (INPUT) and wrote (OUTPUT). A cached execution
writes OUTPUT events to the artifacts it reuses, so an artifact can have several producers.

ml-metadata 1.21 is built without ZetaSQL, so `filter_query` and `get_lineage_subgraph` are not
available; everything here walks contexts, executions and events with the plain getters.
"""

import collections
import dataclasses
import os
from typing import Dict, Iterable, List, Optional

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from configs import PipelineConfig

PIPELINE_CONTEXT = "pipeline"
PIPELINE_RUN_CONTEXT = "pipeline_run"
NODE_CONTEXT = "node"

Event = metadata_store_pb2.Event
# The event kinds TFX writes for what an execution read and what it published.
READS = {Event.INPUT, Event.DECLARED_INPUT, Event.INTERNAL_INPUT}
WRITES = {Event.OUTPUT, Event.DECLARED_OUTPUT, Event.INTERNAL_OUTPUT}
DIRECTIONS = ("upstream", "downstream")
# The Trainer's input of the model it warm-started from (tfx standard_component_specs.BASE_MODEL_KEY).
BASE_MODEL_KEY = "base_model"


def open_store(config: PipelineConfig) -> metadata_store.MetadataStore:
    """The pipeline's store, opened read-only: a wrong path or database is an error, not a new store."""
    where = config.metadata.describe(config.metadata_path)
    connection = config.metadata.connection_config(config.metadata_path, read_only=True)
    if config.metadata.mysql is None and not os.path.exists(config.metadata_path):
        raise FileNotFoundError(f"no ML Metadata store at {where}: run the pipeline first")
    try:
        return metadata_store.MetadataStore(connection)
    except RuntimeError as e:  # MLMD reports connection failures as RuntimeError
        raise ConnectionError(f"cannot open the ML Metadata store at {where}: {e}") from e


def pipeline_runs(store, pipeline_name: str) -> List[metadata_store_pb2.Context]:
    """The `pipeline_run` contexts of one pipeline, oldest first (a shared store holds many pipelines)."""
    pipeline = store.get_context_by_type_and_name(PIPELINE_CONTEXT, pipeline_name)
    if pipeline is None:
        raise LookupError(f"pipeline '{pipeline_name}' has no runs in this store")
    runs = [
        c for c in store.get_children_contexts_by_context(pipeline.id) if c.type == PIPELINE_RUN_CONTEXT
    ]
    return sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id))


def find_run(store, pipeline_name: str, run_name: Optional[str] = None) -> metadata_store_pb2.Context:
    """The run called `run_name`, or the newest run when it is None."""
    runs = pipeline_runs(store, pipeline_name)
    if not runs:
        raise LookupError(f"pipeline '{pipeline_name}' has no runs in this store")
    if run_name is None:
        return runs[-1]
    for run in runs:
        if run.name == run_name:
            return run
    raise LookupError(
        f"expected a run of pipeline '{pipeline_name}', got '{run_name}'; "
        f"its runs are: {', '.join(r.name for r in runs)}"
    )


@dataclasses.dataclass(frozen=True)
class Origin:
    """Which component an execution ran and in which pipeline run."""

    component: str
    run: str


def origins(store, execution_ids: Iterable[int]) -> Dict[int, Origin]:
    """Execution id -> (component, run), from the execution's `node` and `pipeline_run` contexts."""
    found = {}
    for execution_id in sorted(set(execution_ids)):
        names = {c.type: c.name for c in store.get_contexts_by_execution(execution_id)}
        # Node contexts are named "<pipeline name>.<component id>".
        component = names.get(NODE_CONTEXT, "?").rsplit(".", 1)[-1]
        found[execution_id] = Origin(component, names.get(PIPELINE_RUN_CONTEXT, "?"))
    return found


def run_executions(store, run: metadata_store_pb2.Context) -> Dict[str, metadata_store_pb2.Execution]:
    """Component id -> its execution in this run."""
    executions = store.get_executions_by_context(run.id)
    labels = origins(store, [e.id for e in executions])
    return {labels[e.id].component: e for e in executions}


def artifact_types(store, artifacts) -> Dict[int, str]:
    """Artifact type id -> type name, for these artifacts."""
    type_ids = sorted({a.type_id for a in artifacts})
    return {t.id: t.name for t in store.get_artifact_types_by_id(type_ids)} if type_ids else {}


def written_artifacts(store, executions) -> Dict[str, List[metadata_store_pb2.Artifact]]:
    """Artifact type name -> the artifacts these executions wrote, by id."""
    execution_ids = [e.id for e in executions]
    events = store.get_events_by_execution_ids(execution_ids) if execution_ids else []
    artifact_ids = sorted({e.artifact_id for e in events if e.type in WRITES})
    artifacts = store.get_artifacts_by_id(artifact_ids) if artifact_ids else []
    types = artifact_types(store, artifacts)
    written = collections.defaultdict(list)
    for artifact in artifacts:
        written[types[artifact.type_id]].append(artifact)
    return dict(written)


def run_artifacts(store, run: metadata_store_pb2.Context) -> Dict[str, List[metadata_store_pb2.Artifact]]:
    """Artifact type name -> the artifacts this run's executions wrote (cached ones included)."""
    return written_artifacts(store, store.get_executions_by_context(run.id))


def producers(store, artifact_ids: Iterable[int]) -> Dict[int, int]:
    """Artifact id -> the first execution that wrote it (later writers are cached reuses)."""
    artifact_ids = sorted(set(artifact_ids))
    first = {}
    for event in store.get_events_by_artifact_ids(artifact_ids) if artifact_ids else []:
        if event.type in WRITES:
            earliest = first.get(event.artifact_id, event.execution_id)
            first[event.artifact_id] = min(earliest, event.execution_id)
    return first


@dataclasses.dataclass
class Step:
    """One execution met on a lineage walk, `depth` executions away from the artifact."""

    depth: int
    execution: metadata_store_pb2.Execution
    inputs: List[int]
    outputs: List[int]


def lineage(store, artifact_id: int, direction: str, max_depth: Optional[int] = None) -> List[Step]:
    """The executions an artifact came from ("upstream") or went into ("downstream"), nearest first.

    Upstream: the executions that wrote it, then those that wrote their inputs, and so on.
    Downstream: the executions that read it, then those that read their outputs, and so on.
    Each execution appears once, at its smallest depth.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: expected one of {DIRECTIONS}, got '{direction}'")
    if not store.get_artifacts_by_id([artifact_id]):
        raise LookupError(f"expected the id of an artifact in this store, got {artifact_id}")
    # Upstream meets executions through what they wrote and continues through what they read.
    meet, follow = (WRITES, READS) if direction == "upstream" else (READS, WRITES)
    steps, seen_executions, seen_artifacts = [], set(), {artifact_id}
    frontier, depth = [artifact_id], 0
    while frontier and (max_depth is None or depth < max_depth):
        depth += 1
        met = {e.execution_id for e in store.get_events_by_artifact_ids(frontier) if e.type in meet}
        execution_ids = sorted(met - seen_executions)
        if not execution_ids:
            break
        seen_executions.update(execution_ids)
        events = store.get_events_by_execution_ids(execution_ids)
        for execution in sorted(store.get_executions_by_id(execution_ids), key=lambda e: e.id):
            own = [e for e in events if e.execution_id == execution.id]
            steps.append(
                Step(
                    depth,
                    execution,
                    inputs=sorted({e.artifact_id for e in own if e.type in READS}),
                    outputs=sorted({e.artifact_id for e in own if e.type in WRITES}),
                )
            )
        reached = {e.artifact_id for e in events if e.type in follow} - seen_artifacts
        seen_artifacts.update(reached)
        frontier = sorted(reached)
    return steps


def started_from(store, model_id: int) -> Optional[int]:
    """The model whose backbone the Trainer that wrote `model_id` started from (its `base_model` input), or None."""
    writers = [e.execution_id for e in store.get_events_by_artifact_ids([model_id]) if e.type in WRITES]
    for event in store.get_events_by_execution_ids(writers) if writers else []:
        if event.type in READS and event.path.steps and event.path.steps[0].key == BASE_MODEL_KEY:
            return event.artifact_id
    return None
