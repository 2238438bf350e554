"""Vertex AI Pipelines requests: a run (PipelineJob), or a recurring one (PipelineJobSchedule).

A request is the exact sequence of SDK calls with their arguments, so `--dry-run` can print it and
`send()` makes those calls and no others. Credentials are Google's application default ones.
"""

import dataclasses
from typing import Any, Dict, Optional

from configs import PipelineConfig
from submission.kfp_requests import check_reachable


@dataclasses.dataclass(frozen=True)
class VertexRequest:
    """`job = PipelineJob(**pipeline_job)`, then `job.submit(**arguments)` for a run, or for a
    schedule `PipelineJobSchedule(pipeline_job=job, **schedule).create(**arguments)`."""

    pipeline_job: Dict[str, Any]
    schedule: Optional[Dict[str, Any]]
    arguments: Dict[str, Any]

    def send(self) -> str:
        """Makes the calls; returns the resource name of the job or schedule created."""
        from google.cloud import aiplatform  # a slow import, needed only to send

        job = aiplatform.PipelineJob(**self.pipeline_job)
        if self.schedule is None:
            job.submit(**self.arguments)
            return job.resource_name
        schedule = aiplatform.PipelineJobSchedule(pipeline_job=job, **self.schedule)
        schedule.create(**self.arguments)
        return schedule.resource_name

    def check_reachable(self) -> None:
        """Refuses at once (ConnectionError naming the key) a region whose API endpoint does not answer,
        before the pipeline is compiled for it."""
        check_reachable(f"https://{self.pipeline_job['location']}-aiplatform.googleapis.com", "kubeflow.vertex.region")


def _pipeline_job(config: PipelineConfig) -> Dict[str, Any]:
    vertex = config.kubeflow.vertex if config.kubeflow else None
    if vertex is None:
        raise ValueError("expected a kubeflow.vertex section in the config (see configs/kubeflow.yaml), got none")
    return {
        "display_name": config.pipeline_name,
        "template_path": str(config.kubeflow.pipeline_file),
        "pipeline_root": str(config.pipeline_root),
        "project": vertex.project,
        "location": vertex.region,
    }


def run_request(config: PipelineConfig) -> VertexRequest:
    """One run now."""
    job = _pipeline_job(config)
    return VertexRequest(job, schedule=None, arguments={"service_account": config.kubeflow.vertex.service_account})


def schedule_request(config: PipelineConfig) -> VertexRequest:
    """A schedule that starts a run on `kubeflow.schedule.cron` (UTC)."""
    job = _pipeline_job(config)
    schedule = config.kubeflow.schedule
    if schedule is None:
        raise ValueError("expected a kubeflow.schedule section in the config, got none")
    return VertexRequest(
        job,
        schedule={"display_name": config.pipeline_name},
        arguments={
            "cron": schedule.cron,
            "max_concurrent_run_count": schedule.max_concurrent_runs,
            "service_account": config.kubeflow.vertex.service_account,
        },
    )
