"""Config sections for how and where the pipeline runs: Beam, and Kubeflow Pipelines / Vertex AI.

Example (YAML, see configs/kubeflow.yaml):

    beam:
      dataflow: {project: my-project, region: europe-west4, temp_location: gs://my-bucket/tmp,
                 sdk_container_image: europe-west4-docker.pkg.dev/my-project/arcface/pipeline:0.1.0,
                 machine_type: n1-highmem-8, max_workers: 50}
    kubeflow:
      image: europe-west4-docker.pkg.dev/my-project/arcface/pipeline:0.1.0
      trainer: {machine_type: a2-highgpu-4g, accelerator: {type: NVIDIA_TESLA_A100, count: 4}, workers: 2}
      schedule: {cron: "0 3 * * 1"}
      kfp: {host: https://kfp.example.com, experiment: arcface}
      vertex: {project: my-project, region: europe-west4}
"""

from pathlib import Path
from typing import Annotated, List, Literal, Optional

import pydantic
from pydantic import Field, StringConstraints

from configs.base import Section

# A Beam option, "--name=value" or "--flag": a YAML slip (a missing "--") is refused, not ignored.
BeamArg = Annotated[str, StringConstraints(pattern=r"^--[A-Za-z_]")]


class DataflowConfig(Section):
    """The Beam steps (ExampleGen, StatisticsGen, Transform, the evaluator) on Google Cloud Dataflow.

    The workers run `sdk_container_image`: the pipeline image (the Dockerfile makes it a Beam SDK
    container too), since they need this repository's code and pins.
    """

    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    """The Google Cloud project the Dataflow jobs run in."""
    region: str = Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    """The Dataflow region, e.g. europe-west4."""
    temp_location: str = Field(pattern=r"^gs://\S+$")
    """A gs:// folder for Dataflow's temporary files."""
    sdk_container_image: str = Field(min_length=1)
    """The image the workers run: the pipeline image (registry/repository:tag)."""
    machine_type: str = Field("n1-standard-4", pattern=r"^[a-z][a-z0-9-]*$")
    """A Compute Engine machine type for each worker, e.g. n1-highmem-8 (Transform decodes images)."""
    max_workers: int = Field(10, ge=1)
    """Autoscaling's ceiling: what a run may cost at most."""

    def pipeline_args(self) -> list:
        return [
            "--runner=DataflowRunner",
            f"--project={self.project}",
            f"--region={self.region}",
            f"--temp_location={self.temp_location}",
            f"--sdk_container_image={self.sdk_container_image}",
            f"--worker_machine_type={self.machine_type}",
            f"--max_num_workers={self.max_workers}",
            "--experiments=use_runner_v2",  # custom SDK containers need Runner v2
        ]


class BeamConfig(Section):
    """How Beam runs the data-parallel steps: TFX's local direct runner, or Dataflow if configured.

    `args` are further Beam options, passed as given after those of `dataflow`; without
    `dataflow`, they replace the direct runner's (any other runner, fully described by them).
    """

    running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = "in_memory"
    """The direct runner's mode: in one thread, in threads, or in worker processes."""
    num_workers: int = Field(1, ge=1)
    """The direct runner's workers (threads or processes)."""
    dataflow: Optional[DataflowConfig] = None
    """Run the Beam steps on Google Cloud Dataflow; null: the local direct runner."""
    args: Optional[List[BeamArg]] = None
    """Further Beam options ("--name=value"), after dataflow's; without dataflow they replace the direct runner's."""

    def pipeline_args(self) -> list:
        if self.dataflow is not None:
            return self.dataflow.pipeline_args() + list(self.args or [])
        if self.args is not None:
            return list(self.args)
        # SwitchingDirectRunner: the plain DirectRunner first tries to download a Prism binary.
        return [
            "--runner=SwitchingDirectRunner",
            f"--direct_running_mode={self.running_mode}",
            f"--direct_num_workers={self.num_workers}",
        ]


class ScheduleConfig(Section):
    """When recurring runs start, in UTC."""

    cron: str = Field(pattern=r"^\S+( \S+){4}$")
    """Five fields, minute hour day-of-month month day-of-week (Vertex's format; KFP's adds seconds)."""
    max_concurrent_runs: int = Field(1, ge=1)
    """Runs of the schedule that may run at once."""


class KfpConfig(Section):
    """A Kubeflow Pipelines deployment, reached with kfp.Client.

    Credentials are not configured here: kfp.Client reads them from its own environment variables
    (KF_PIPELINES_IAP_OAUTH2_CLIENT_ID, ...) or from the host's port-forward / in-cluster access.
    """

    host: str = Field(pattern=r"^https?://\S+$")
    """The Kubeflow Pipelines API endpoint, e.g. https://kfp.example.com."""
    namespace: Optional[str] = None
    """Multi-user deployments: the profile namespace the runs belong to."""
    experiment: str = Field("arcface", min_length=1)
    """The experiment the runs are filed under."""
    service_account: Optional[str] = None
    """The Kubernetes service account the run's pods use."""


class VertexConfig(Section):
    """A Google Cloud project and region where Vertex AI Pipelines runs the pipeline."""

    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    """The Google Cloud project."""
    region: str = Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    """The Vertex AI region, e.g. europe-west4."""
    service_account: Optional[str] = None
    """The service account the pipeline's jobs run as (null: the Compute Engine default)."""


class AcceleratorConfig(Section):
    """Accelerators of one machine: `type` as the platform names it, and how many.

    On Vertex AI Training the type is one of Vertex's `AcceleratorType` names (NVIDIA_TESLA_T4,
    NVIDIA_L4, NVIDIA_TESLA_A100, ...); on Kubeflow Pipelines it is the container's resource
    name (nvidia.com/gpu), the GPU model being the node pool's.
    """

    type: str = Field(pattern=r"^[A-Za-z0-9_./-]+$")
    """Vertex's AcceleratorType name (NVIDIA_TESLA_T4, ...) or, on Kubeflow, the resource name (nvidia.com/gpu)."""
    count: int = Field(1, ge=1)
    """Accelerators per machine."""


class TrainerMachinesConfig(Section):
    """The Trainer's machines on the cluster.

    With `kubeflow.vertex`, the Trainer runs as a Vertex AI Training job: `workers` machines of
    `machine_type` with `accelerator` each, the first the chief; Vertex sets every machine's
    TF_CONFIG, which `trainer.distribution.strategy: multi_worker_mirrored` reads. On Kubeflow
    Pipelines alone the Trainer is its pod: the accelerators are its resources, one machine.
    """

    machine_type: str = Field("n1-standard-8", pattern=r"^[a-z][a-z0-9-]*$")
    """A Compute Engine machine type (Vertex only; on Kubeflow the node pool decides)."""
    accelerator: Optional[AcceleratorConfig] = None
    """Each machine's accelerators; null: CPU only."""
    workers: int = Field(1, ge=1)
    """Machines, the first the chief; more than 1 needs kubeflow.vertex and multi_worker_mirrored."""


class KubeflowConfig(Section):
    """Compiling for Kubeflow Pipelines / Vertex AI, and submitting or scheduling runs there.

    Every component runs in `image` (built from the Dockerfile), so the locations of the config
    (`run_root`, `data.input_base`, `pusher.serving_dir`) must be remote URIs the pods can reach.
    """

    # A tag-less name would silently mean ":latest".
    image: str = Field(pattern=r"^[a-z0-9.-]+(:[0-9]+)?/[^\s:@]+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")
    """The pipeline image every component runs in: registry/repository:tag or @sha256:digest."""
    pipeline_file: Path = Field(Path("runs/kubeflow/pipeline.yaml"), strict=False)  # YAML gives a string
    """The local file the compiler writes and the submit commands send (.yaml)."""
    schedule: Optional[ScheduleConfig] = None
    """When recurring runs start (the schedule commands)."""
    kfp: Optional[KfpConfig] = None
    """A Kubeflow Pipelines deployment to submit to."""
    vertex: Optional[VertexConfig] = None
    """A Vertex AI Pipelines project and region to submit to."""
    trainer: Optional[TrainerMachinesConfig] = None
    """The Trainer's machines; null: the pipeline's default pod."""

    @pydantic.field_validator("pipeline_file")
    @classmethod
    def _yaml(cls, path: Path) -> Path:
        # The compiler writes a bare pipeline spec only as YAML (else a Vertex-only PipelineJob JSON).
        if path.suffix not in (".yaml", ".yml"):
            raise ValueError(f"expected a .yaml file, got '{path}'")
        return path

    @pydantic.model_validator(mode="after")
    def _several_machines_need_vertex(self):
        # Kubeflow Pipelines runs a component as one pod: only a Vertex job spans machines.
        if self.trainer is not None and self.trainer.workers > 1 and self.vertex is None:
            raise ValueError(
                f"trainer.workers: {self.trainer.workers} machines need a Vertex AI Training job "
                "(a kubeflow.vertex section); on Kubeflow Pipelines alone the Trainer is one pod"
            )
        return self
