"""Config sections for how and where the pipeline runs: Beam, and Kubeflow Pipelines / Vertex AI.

Example (YAML, see configs/kubeflow.yaml):

    beam:
      args: [--runner=DataflowRunner, --project=my-project, --region=europe-west4, ...]
    kubeflow:
      image: europe-west4-docker.pkg.dev/my-project/arcface/pipeline:0.1.0
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


class BeamConfig(Section):
    """How Beam runs the data-parallel steps: TFX's local direct runner unless `args` are given."""

    running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = "in_memory"
    num_workers: int = Field(1, ge=1)
    # Used as given instead of the direct runner's arguments: e.g. DataflowRunner options on
    # Kubeflow / Vertex, where the direct runner would process all the data inside one pod.
    args: Optional[List[BeamArg]] = None

    def pipeline_args(self) -> list:
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

    # Five fields, minute hour day-of-month month day-of-week (Vertex's format; KFP's adds seconds).
    cron: str = Field(pattern=r"^\S+( \S+){4}$")
    max_concurrent_runs: int = Field(1, ge=1)


class KfpConfig(Section):
    """A Kubeflow Pipelines deployment, reached with kfp.Client.

    Credentials are not configured here: kfp.Client reads them from its own environment variables
    (KF_PIPELINES_IAP_OAUTH2_CLIENT_ID, ...) or from the host's port-forward / in-cluster access.
    """

    host: str = Field(pattern=r"^https?://\S+$")
    # Multi-user deployments: the profile namespace the runs belong to.
    namespace: Optional[str] = None
    experiment: str = Field("arcface", min_length=1)
    # The Kubernetes service account the run's pods use.
    service_account: Optional[str] = None


class VertexConfig(Section):
    """A Google Cloud project and region where Vertex AI Pipelines runs the pipeline."""

    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: str = Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    # The service account the pipeline's jobs run as (default: the Compute Engine one).
    service_account: Optional[str] = None


class KubeflowConfig(Section):
    """Compiling for Kubeflow Pipelines / Vertex AI, and submitting or scheduling runs there.

    Every component runs in `image` (built from the Dockerfile), so the locations of the config
    (`run_root`, `data.input_base`, `pusher.serving_dir`) must be remote URIs the pods can reach.
    """

    # registry/repository:tag or @sha256:digest; a tag-less name would silently mean ":latest".
    image: str = Field(pattern=r"^[a-z0-9.-]+(:[0-9]+)?/[^\s:@]+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$")
    # The local file the compiler writes and the submit commands send.
    pipeline_file: Path = Field(Path("runs/kubeflow/pipeline.yaml"), strict=False)  # YAML gives a string
    schedule: Optional[ScheduleConfig] = None
    kfp: Optional[KfpConfig] = None
    vertex: Optional[VertexConfig] = None

    @pydantic.field_validator("pipeline_file")
    @classmethod
    def _yaml(cls, path: Path) -> Path:
        # The compiler writes a bare pipeline spec only as YAML (else a Vertex-only PipelineJob JSON).
        if path.suffix not in (".yaml", ".yml"):
            raise ValueError(f"expected a .yaml file, got '{path}'")
        return path
