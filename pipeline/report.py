"""Reads a pipeline's runs back from ML Metadata: what ran, what it produced, where it lies.

ml-metadata 1.21 is built without ZetaSQL, so `filter_query` and `get_lineage_subgraph` are not
available; everything here walks contexts, executions and events with the plain getters.
"""

import collections
import json
import os
from typing import Dict, List

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx

from configs import PipelineConfig

PIPELINE_RUN_CONTEXT = "pipeline_run"
NODE_CONTEXT = "node"


def open_store(config: PipelineConfig) -> metadata_store.MetadataStore:
    if not config.metadata_path.exists():
        raise FileNotFoundError(f"no ML Metadata store at {config.metadata_path}: run the pipeline first")
    return metadata_store.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(str(config.metadata_path))
    )


def latest_run(store: metadata_store.MetadataStore, pipeline_name: str) -> metadata_store_pb2.Context:
    """The newest `pipeline_run` context of this pipeline (runs are attributed to the pipeline context)."""
    pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline_context is None:
        raise LookupError(f"pipeline '{pipeline_name}' has no runs in this store")
    runs = [
        c
        for c in store.get_children_contexts_by_context(pipeline_context.id)
        if c.type == PIPELINE_RUN_CONTEXT
    ] or [c for c in store.get_contexts_by_type(PIPELINE_RUN_CONTEXT)]
    if not runs:
        raise LookupError(f"pipeline '{pipeline_name}' has no runs in this store")
    return max(runs, key=lambda c: (c.create_time_since_epoch, c.id))


def run_executions(store, run: metadata_store_pb2.Context) -> Dict[str, metadata_store_pb2.Execution]:
    """Component id -> its execution in this run (from the execution's `node` context)."""
    executions = {}
    for execution in store.get_executions_by_context(run.id):
        for context in store.get_contexts_by_execution(execution.id):
            if context.type == NODE_CONTEXT:
                # Node contexts are named "<pipeline name>.<component id>".
                executions[context.name.rsplit(".", 1)[-1]] = execution
    return executions


def run_artifacts(store, run: metadata_store_pb2.Context) -> Dict[str, List[metadata_store_pb2.Artifact]]:
    """Artifact type name -> the artifacts this run's executions produced."""
    outputs = collections.defaultdict(list)
    execution_ids = [e.id for e in store.get_executions_by_context(run.id)]
    events = store.get_events_by_execution_ids(execution_ids)
    artifact_ids = sorted({e.artifact_id for e in events if e.type == metadata_store_pb2.Event.OUTPUT})
    artifacts = store.get_artifacts_by_id(artifact_ids)
    types = {t.id: t.name for t in store.get_artifact_types_by_id(list({a.type_id for a in artifacts}))}
    for artifact in artifacts:
        outputs[types[artifact.type_id]].append(artifact)
    return dict(outputs)


def summary(config: PipelineConfig) -> str:
    """A few lines for the terminal: the run, its verdict, and where to look."""
    store = open_store(config)
    run = latest_run(store, config.pipeline_name)
    artifacts = run_artifacts(store, run)
    lines = [f"Pipeline run {run.name}"]
    for name, execution in sorted(run_executions(store, run).items()):
        state = metadata_store_pb2.Execution.State.Name(execution.last_known_state)
        lines.append(f"  {name:<22} {state}")
    for evaluation in artifacts.get("ModelEvaluation", []):
        metrics_file = os.path.join(evaluation.uri, "metrics.json")
        if os.path.exists(metrics_file):
            with open(metrics_file) as f:
                metrics = json.load(f)
            lines.append(
                f"Verification accuracy on unseen identities: {metrics['verification_accuracy']:.4f}"
                f" (+/- {metrics['verification_accuracy_std']:.4f}, {metrics['num_pairs']} pairs)"
            )
            lines.append(f"Metrics:         {metrics_file}")
    for pushed in artifacts.get("PushedModel", []):
        if pushed.custom_properties["pushed"].int_value:
            lines.append(f"Pushed model:    {pushed.custom_properties['pushed_destination'].string_value}")
        else:
            lines.append("Pushed model:    none (the model was not blessed)")
    lines.append(f"Metadata store:  {config.metadata_path}")
    return "\n".join(lines)
