"""An in-memory ML Metadata store written the way TFX writes one, so walks have exact answers.

TFX's shape: a `pipeline` context, `pipeline_run` contexts as its children, one `node` context per
component named "<pipeline>.<component>"; every execution is attributed to all three and has INPUT
events for what it read and OUTPUT events for what it wrote. A CACHED execution reads the same
inputs and writes OUTPUT events to the artifacts it reuses.
"""

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

State = mlmd.Execution
# TFX stores booleans (`blessed`, `pushed`) as ints.
PROPERTY_FIELDS = {bool: "int_value", int: "int_value", float: "double_value", str: "string_value"}


class FakeTfxStore:
    """Build runs step by step: `run = s.new_run("p", "r1")`, then `s.execute(run, "Trainer", ...)`."""

    def __init__(self):
        config = mlmd.ConnectionConfig()
        config.fake_database.SetInParent()
        self.store = metadata_store.MetadataStore(config)
        self._type_ids = {}
        self._contexts = {}

    def _type_id(self, kind, name):
        if (kind, name) not in self._type_ids:
            put = {
                "context": lambda: self.store.put_context_type(mlmd.ContextType(name=name)),
                "execution": lambda: self.store.put_execution_type(mlmd.ExecutionType(name=name)),
                "artifact": lambda: self.store.put_artifact_type(mlmd.ArtifactType(name=name)),
            }[kind]
            self._type_ids[kind, name] = put()
        return self._type_ids[kind, name]

    def _context(self, type_name, name):
        if (type_name, name) not in self._contexts:
            context = mlmd.Context(type_id=self._type_id("context", type_name), name=name)
            [context.id] = self.store.put_contexts([context])
            self._contexts[type_name, name] = context
        return self._contexts[type_name, name]

    def new_run(self, pipeline_name, run_name):
        """The contexts of a new run: (pipeline, pipeline_run), the run a child of the pipeline."""
        pipeline = self._context("pipeline", pipeline_name)
        run = self._context("pipeline_run", run_name)
        self.store.put_parent_contexts([mlmd.ParentContext(parent_id=pipeline.id, child_id=run.id)])
        return pipeline, run

    def execute(self, run, component, state=State.COMPLETE, reads=(), writes=(), properties=None):
        """Records one execution; `writes` holds new artifacts as (type, uri, properties) or ids to reuse;
        `properties` are the execution's (TFX records its parameters so).

        Returns the ids of the written artifacts, in the order given.
        """
        pipeline, run_context = run
        node = self._context("node", f"{pipeline.name}.{component}")
        execution = mlmd.Execution(type_id=self._type_id("execution", component), last_known_state=state)
        for name, value in (properties or {}).items():
            setattr(execution.custom_properties[name], PROPERTY_FIELDS[type(value)], value)
        pairs = [(self._existing(i), mlmd.Event(type=mlmd.Event.INPUT)) for i in reads]
        for written in writes:
            artifact = self._existing(written) if isinstance(written, int) else self._new_artifact(*written)
            pairs.append((artifact, mlmd.Event(type=mlmd.Event.OUTPUT)))
        _, artifact_ids, _ = self.store.put_execution(execution, pairs, [pipeline, run_context, node])
        return artifact_ids[len(reads):]

    def _existing(self, artifact_id):
        [artifact] = self.store.get_artifacts_by_id([artifact_id])
        return artifact

    def _new_artifact(self, type_name, uri, properties):
        type_id = self._type_id("artifact", type_name)
        artifact = mlmd.Artifact(type_id=type_id, uri=uri, state=mlmd.Artifact.LIVE)
        for name, value in properties.items():
            setattr(artifact.custom_properties[name], PROPERTY_FIELDS[type(value)], value)
        return artifact
