"""The config's cloud resources reach the compiled spec and the requests that submit it.

- Vertex (configs/kubeflow.yaml): the Trainer is a Vertex AI Training job of the configured
  machines, accelerators and workers, in the pipeline image;
- Kubeflow Pipelines alone: the Trainer's container asks for the accelerators;
- both: every Beam component gets the Dataflow region, machine type and worker ceiling.
"""

import json

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials
from kfp_api_server import KfpApiServer
from tfx import v1 as tfx

from configs import ConfigError, load_config
from runners import kubeflow_v2_runner
from submission import cli as submit

VERTEX = tfx.extensions.google_cloud_ai_platform
BEAM_COMPONENTS = ("ImportExampleGen", "StatisticsGen", "Transform", "EmbeddingEvaluator")
# One pod of 2 GPUs: MirroredStrategy (no TF_CONFIG outside a Vertex job).
KFP_ONLY = {"vertex": None, "trainer": {"accelerator": {"type": "nvidia.com/gpu", "count": 2}}}
MIRRORED = {"distribution": {"strategy": "mirrored"}}


def _config_path(kubeflow_config, trainer_keys=None, **kubeflow):
    """configs/kubeflow.yaml with these `kubeflow` keys replaced and these `trainer` keys updated."""
    path = kubeflow_config(**kubeflow)
    raw = yaml.safe_load(path.read_text())
    raw["trainer"].update(trainer_keys or {})
    path.write_text(yaml.safe_dump(raw))
    return path


def _compile(config_path):
    config = load_config(config_path)
    return config, yaml.safe_load(kubeflow_v2_runner.compile_pipeline(config).read_text())


def _container(spec, component):
    return spec["deploymentSpec"]["executors"][f"{component}_executor"]["container"]


def _custom_config(spec, component):
    parameter = spec["root"]["dag"]["tasks"][component]["inputs"]["parameters"]["custom_config"]
    return json.loads(parameter["runtimeValue"]["constant"])


def _assert_dataflow(config, spec):
    dataflow = config.beam.dataflow
    for component in BEAM_COMPONENTS:
        args = _container(spec, component)["args"]
        for expected in (f"--region={dataflow.region}", f"--worker_machine_type={dataflow.machine_type}",
                         f"--max_num_workers={dataflow.max_workers}", "--runner=DataflowRunner",
                         f"--sdk_container_image={dataflow.sdk_container_image}"):
            assert expected in args, (component, expected)


def test_vertex_trainer_is_a_training_job_of_the_configured_machines(kubeflow_config):
    config, spec = _compile(kubeflow_config())
    machines = config.kubeflow.trainer
    assert machines.workers == 2 and machines.accelerator.count == 4  # what configs/kubeflow.yaml asks

    container = _container(spec, "Trainer")
    assert container["args"][container["args"].index("--executor_class_path") + 1] == (
        "tfx.extensions.google_cloud_ai_platform.trainer.executor.GenericExecutor")
    assert "resources" not in container  # the step only submits and waits: the job has the GPUs
    custom_config = _custom_config(spec, "Trainer")
    assert custom_config[VERTEX.ENABLE_VERTEX_KEY] is True
    assert custom_config[VERTEX.VERTEX_REGION_KEY] == config.kubeflow.vertex.region
    job = custom_config[VERTEX.TRAINING_ARGS_KEY]
    assert job["project"] == config.kubeflow.vertex.project
    machine = {"machine_type": "n1-standard-32", "accelerator_type": "NVIDIA_TESLA_V100", "accelerator_count": 4}
    pool = {"machine_spec": machine, "container_spec": {"image_uri": config.kubeflow.image}}
    # The chief, then the other worker; Vertex gives each its TF_CONFIG.
    assert job["job_spec"]["worker_pool_specs"] == [{**pool, "replica_count": 1}, {**pool, "replica_count": 1}]
    assert config.trainer.distribution.strategy == "multi_worker_mirrored"
    # The run_fn still gets its sections.
    assert custom_config["trainer"] == config.trainer.model_dump(mode="json")
    _assert_dataflow(config, spec)


def test_vertex_request_carries_the_training_job_and_dataflow(kubeflow_config, capsys):
    from google.cloud import aiplatform  # what `submit vertex run` sends, built without sending

    config_path = kubeflow_config()
    _compile(config_path)  # a dry run names the spec file without compiling it
    submit.main(["vertex", "run", "--config", str(config_path), "--dry-run"])
    request = json.loads(capsys.readouterr().out)
    job = aiplatform.PipelineJob(**request["pipeline_job"], credentials=AnonymousCredentials()).to_dict()
    spec = job["pipelineSpec"]
    pools = _custom_config(spec, "Trainer")[VERTEX.TRAINING_ARGS_KEY]["job_spec"]["worker_pool_specs"]
    assert [pool["machine_spec"]["accelerator_count"] for pool in pools] == [4, 4]
    _assert_dataflow(load_config(config_path), spec)


def test_kubeflow_trainer_pod_asks_for_the_accelerators(kubeflow_config):
    config, spec = _compile(_config_path(kubeflow_config, MIRRORED, **KFP_ONLY))
    container = _container(spec, "Trainer")
    assert container["args"][container["args"].index("--executor_class_path") + 1] == (
        "tfx.components.trainer.executor.GenericExecutor")
    assert container["resources"]["accelerator"] == {
        "type": "nvidia.com/gpu", "count": "2", "resourceType": "nvidia.com/gpu", "resourceCount": "2"}
    # No other component asks for one.
    for component in BEAM_COMPONENTS:
        assert "resources" not in _container(spec, component), component
    _assert_dataflow(config, spec)


def test_kfp_request_carries_the_accelerators_and_dataflow(kubeflow_config, capsys):
    with KfpApiServer() as server:
        config_path = _config_path(kubeflow_config, MIRRORED, kfp={"host": server.url, "experiment": "arcface"}, **KFP_ONLY)
        submit.main(["kfp", "run", "--config", str(config_path)])
    capsys.readouterr()
    run = next(r for r in server.requests if r.method == "POST" and r.path.endswith("/runs"))
    spec = run.body["pipeline_spec"]
    assert _container(spec, "Trainer")["resources"]["accelerator"]["resourceCount"] == "2"
    _assert_dataflow(load_config(config_path), spec)


@pytest.mark.parametrize(
    "kubeflow, trainer, message",
    [
        ({"vertex": None, "trainer": {"workers": 2}}, {},
         r"kubeflow: .*trainer.workers: 2 machines need a Vertex AI Training job"),
        ({"trainer": {"workers": 2}}, {"distribution": {"strategy": "mirrored"}},
         r"kubeflow.trainer.workers 2 expects trainer.distribution.strategy multi_worker_mirrored, got mirrored"),
        ({"trainer": {"accelerator": {"type": "NVIDIA_L4", "count": 2}}}, {"distribution": {"strategy": "one_device"}},
         r"accelerator.count 2 expects .*got one_device"),
        (KFP_ONLY, {}, r"trainer.distribution.strategy multi_worker_mirrored expects TF_CONFIG, which only a "
                       r"Vertex AI Training job sets .*got a Kubeflow pod"),
        ({"trainer": {"accelerator": {"type": "NVIDIA_L4", "count": 0}}}, {},
         r"kubeflow.trainer.accelerator.count: Input should be greater than or equal to 1"),
    ],
)
def test_machines_the_training_cannot_use_are_refused_naming_the_key(kubeflow_config, kubeflow, trainer, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_config_path(kubeflow_config, trainer, **kubeflow))


def test_an_accelerator_vertex_does_not_have_is_refused_before_anything_is_written(kubeflow_config):
    config = load_config(kubeflow_config(trainer={"accelerator": {"type": "nvidia.com/gpu"}}))
    with pytest.raises(ConfigError, match=r"kubeflow.trainer.accelerator.type: expected one of Vertex's .*NVIDIA_L4.*got 'nvidia.com/gpu'"):
        kubeflow_v2_runner.compile_pipeline(config)
    assert not config.kubeflow.pipeline_file.exists()

