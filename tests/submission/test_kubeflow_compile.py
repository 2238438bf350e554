"""Compiling for Kubeflow V2 / Vertex: the spec, read back with kfp's own proto, is the pipeline.

Expectations come from the TFX pipeline object that was compiled, so the test follows pipeline.py:
every component is a task, every input is wired to the producer the pipeline names, every executor
runs the configured image with the config's Beam arguments, every parameter arrives.
"""

import json

import kfp.components
import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx
from tfx.utils import import_utils

from configs import load_config
from runners import kubeflow_v2_runner
from pipeline import pipeline

EXECUTOR_COMMAND = ["python", "-m", "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor"]


@pytest.fixture(scope="module")
def compiled(kubeflow_config):
    """(config, the PipelineSpec read from the compiled file, the TFX pipeline it was compiled from)."""
    config = load_config(kubeflow_config())
    spec_file = kubeflow_v2_runner.compile_pipeline(config)
    spec = json_format.ParseDict(yaml.safe_load(spec_file.read_text()), pipeline_spec_pb2.PipelineSpec())
    return config, spec, pipeline.create_pipeline(config, metadata_store_pb2.ConnectionConfig())


def _components(tfx_pipeline):
    """The pipeline's components, without its Resolvers (the compiler turns those into resolver tasks)."""
    return [c for c in tfx_pipeline.components if not isinstance(c, tfx.dsl.Resolver)]


def _producer_task(tfx_pipeline, channel) -> str:
    # A Resolver's output `key` is compiled into a task named "<resolver id>-<key>-resolver".
    resolvers = {c.id for c in tfx_pipeline.components if isinstance(c, tfx.dsl.Resolver)}
    producer = channel.producer_component_id
    return f"{producer}-{channel.output_key}-resolver" if producer in resolvers else producer


def test_kfp_reads_the_file_as_this_pipeline(compiled):
    config, spec, _ = compiled
    assert spec.pipeline_info.name == config.pipeline_name
    assert spec.schema_version == "2.1.0"
    assert kfp.components.load_component_from_file(str(config.kubeflow.pipeline_file)).name == config.pipeline_name


def test_every_component_is_a_task_and_every_resolver_a_resolver_task(compiled):
    _, spec, tfx_pipeline = compiled
    executors = spec.deployment_spec["executors"]
    resolver_tasks = set(spec.root.dag.tasks) - {c.id for c in _components(tfx_pipeline)}
    for component in _components(tfx_pipeline):
        task = spec.root.dag.tasks[component.id]
        assert task.component_ref.name == component.id
        assert "container" in executors[spec.components[component.id].executor_label], component.id
    for resolver in (c for c in tfx_pipeline.components if isinstance(c, tfx.dsl.Resolver)):
        assert any(name.startswith(f"{resolver.id}-") for name in resolver_tasks), resolver.id
    for name in resolver_tasks:
        assert "resolver" in executors[spec.components[name].executor_label], name


def test_every_input_is_an_edge_from_its_producer(compiled):
    _, spec, tfx_pipeline = compiled
    for component in _components(tfx_pipeline):
        task = spec.root.dag.tasks[component.id]
        assert set(task.inputs.artifacts) == set(component.inputs), component.id
        for key, channel in component.inputs.items():
            source = task.inputs.artifacts[key].task_output_artifact
            assert (source.producer_task, source.output_artifact_key) == (
                _producer_task(tfx_pipeline, channel),
                channel.output_key,
            ), f"{component.id}.{key}"
            assert source.producer_task in task.dependent_tasks, f"{component.id} does not wait for {source.producer_task}"


def test_every_executor_runs_the_image_with_the_beam_args_and_an_importable_executor(compiled):
    config, spec, tfx_pipeline = compiled
    for component in _components(tfx_pipeline):
        container = spec.deployment_spec["executors"][spec.components[component.id].executor_label]["container"]
        assert container["image"] == config.kubeflow.image, component.id
        assert list(container["command"]) == EXECUTOR_COMMAND, component.id
        args = list(container["args"])
        assert args[-len(config.beam.pipeline_args()):] == config.beam.pipeline_args(), component.id
        # The image holds this repository, so the class path the container imports must resolve here.
        executor_class = args[args.index("--executor_class_path") + 1]
        assert import_utils.import_class_by_path(executor_class), executor_class


def test_every_parameter_arrives_and_remote_uris_stay_intact(compiled):
    config, spec, tfx_pipeline = compiled
    runtime_parameters = set()
    for component in _components(tfx_pipeline):
        parameters = spec.root.dag.tasks[component.id].inputs.parameters
        expected = {name: value for name, value in component.exec_properties.items() if value is not None}
        assert set(parameters) == set(expected), component.id
        for name, value in expected.items():
            if isinstance(value, tfx.dsl.experimental.RuntimeParameter):
                assert parameters[name].component_input_parameter == value.name
                runtime_parameters.add(value.name)
            else:
                assert parameters[name].HasField("runtime_value"), f"{component.id}.{name}"
    # Pipeline-level parameters (settable per run) are exactly the pipeline's RuntimeParameters.
    assert set(spec.root.input_definitions.parameters) == runtime_parameters

    example_gen = spec.root.dag.tasks["ImportExampleGen"].inputs.parameters
    assert example_gen["input_base"].runtime_value.constant.string_value == config.data.input_base == "gs://my-bucket/faces"
    trainer = spec.root.dag.tasks["Trainer"].inputs.parameters
    trainer_config = json.loads(trainer["custom_config"].runtime_value.constant.string_value)["trainer"]
    assert trainer_config == config.trainer.model_dump(mode="json")
