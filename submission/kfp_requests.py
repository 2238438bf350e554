"""Kubeflow Pipelines requests: a run, or a recurring run, of the compiled pipeline, through kfp.Client.

A request is the exact sequence of client calls with their arguments, so `--dry-run` can print it
and `send()` makes those calls and no others.
"""

import dataclasses
import datetime
import socket
import urllib.parse
import warnings
from typing import Any, Dict

from configs import PipelineConfig

# How long a submission waits for the KFP host to answer a connection before it says it cannot reach it.
CONNECT_TIMEOUT_S = 10
# The response field holding the id of what each method created.
_CREATED_ID = {"run_pipeline": "run_id", "create_recurring_run": "recurring_run_id"}


@dataclasses.dataclass(frozen=True)
class KfpRequest:
    """`kfp.Client(**client)`, `create_experiment(**experiment)`, then `<method>(experiment_id=<its id>, **arguments)`."""

    client: Dict[str, Any]
    experiment: Dict[str, Any]
    method: str
    arguments: Dict[str, Any]

    def send(self) -> str:
        """Makes the calls; returns what was created, e.g. "run_id: 1b2c...". """
        import kfp  # half a second to import, needed only to send
        import urllib3

        try:
            with warnings.catch_warnings():
                # kfp.Client's notice that it needs KFP >= 2.0.0-beta.2, printed on every call: the
                # API version is kfp's pin (requirements.lock), nothing a user chooses.
                warnings.filterwarnings("ignore", category=FutureWarning, module="kfp")
                client = kfp.Client(**self.client)
            experiment = client.create_experiment(**self.experiment)  # gets it when it exists
            created = getattr(client, self.method)(experiment_id=experiment.experiment_id, **self.arguments)
        except urllib3.exceptions.HTTPError as error:  # its retries are spent: one line, not the chain
            reason = getattr(error, "reason", None) or error
            raise ConnectionError(f"kubeflow.kfp.host: {self.client['host']} did not answer ({reason})") from None
        return f"{_CREATED_ID[self.method]}: {getattr(created, _CREATED_ID[self.method])}"

    def check_reachable(self) -> None:
        """Refuses at once (ConnectionError naming the key) a host nothing answers on, before the pipeline
        is compiled for it: a connection within CONNECT_TIMEOUT_S, no request."""
        check_reachable(self.client["host"], "kubeflow.kfp.host")


def check_reachable(url: str, key: str) -> None:
    """Opens and closes a TCP connection to `url`'s host and port; ConnectionError naming `key` if none is made."""
    parsed = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise ConnectionError(f"{key}: cannot reach {url} ({reason}); nothing was compiled or sent") from None


def _request(config: PipelineConfig, method: str, job_name: str, **arguments) -> KfpRequest:
    settings = config.kubeflow.kfp if config.kubeflow else None
    if settings is None:
        raise ValueError("expected a kubeflow.kfp section in the config (see configs/kubeflow.yaml), got none")
    client = {"host": settings.host}
    if settings.namespace:
        client["namespace"] = settings.namespace
    return KfpRequest(
        client=client,
        experiment={"name": settings.experiment, "namespace": settings.namespace},
        method=method,
        arguments={
            "job_name": job_name,
            "pipeline_package_path": str(config.kubeflow.pipeline_file),
            "pipeline_root": str(config.pipeline_root),
            "service_account": settings.service_account,
            **arguments,
        },
    )


def run_request(config: PipelineConfig) -> KfpRequest:
    """One run now, named after the pipeline and the time (UTC)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return _request(config, "run_pipeline", job_name=f"{config.pipeline_name}-{now:%Y%m%d-%H%M%S}")


def schedule_request(config: PipelineConfig) -> KfpRequest:
    """A recurring run on `kubeflow.schedule.cron`."""
    schedule = config.kubeflow.schedule if config.kubeflow else None
    if schedule is None:
        raise ValueError("expected a kubeflow.schedule section in the config, got none")
    return _request(
        config,
        "create_recurring_run",
        job_name=config.pipeline_name,
        # KFP's cron has a leading seconds field.
        cron_expression=f"0 {schedule.cron}",
        max_concurrency=schedule.max_concurrent_runs,
        # A training run is expensive: after a pause, run once instead of once per missed slot.
        no_catchup=True,
    )
