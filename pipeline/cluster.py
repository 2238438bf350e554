"""The Trainer on a cluster: its machines, accelerators and workers, as the config's `kubeflow.trainer` asks.

- With `kubeflow.vertex`: TFX's Vertex AI Training extension. The pipeline's Trainer step submits a
  Vertex CustomJob of `workers` machines (pool 0 the chief, pool 1 the other workers), each
  running the Trainer's executor in the pipeline image; Vertex sets every machine's TF_CONFIG.
- On Kubeflow Pipelines alone: the standard Trainer, its pod given the accelerators through the
  component's platform config (the pipeline spec's container resources).
- Without `kubeflow.trainer` (and locally): the standard Trainer as it is.

Example:

    trainer = trainer_component(config, run_fn=RUN_FN, examples=..., custom_config={...})
"""

from kfp.pipeline_spec import pipeline_spec_pb2
from tfx import v1 as tfx

from configs import ConfigError, PipelineConfig

VERTEX = tfx.extensions.google_cloud_ai_platform


def vertex_custom_job(config: PipelineConfig) -> dict:
    """The Vertex CustomJob (as `ai_platform_training_args`) for the config's Trainer machines.

    TFX fills in each pool's container command (its executor); the pools are the chief and, with
    more than one worker, the others.
    """
    machines = config.kubeflow.trainer
    machine_spec = {"machine_type": machines.machine_type}
    if machines.accelerator is not None:
        from google.cloud.aiplatform_v1.types import AcceleratorType  # 1.5 s: only when it is needed

        names = [name for name in AcceleratorType.__members__ if name != "ACCELERATOR_TYPE_UNSPECIFIED"]
        if machines.accelerator.type not in names:
            raise ConfigError(
                f"kubeflow.trainer.accelerator.type: expected one of Vertex's {', '.join(names)}; "
                f"got {machines.accelerator.type!r}"
            )
        machine_spec.update(accelerator_type=machines.accelerator.type, accelerator_count=machines.accelerator.count)
    pool = {"machine_spec": machine_spec, "container_spec": {"image_uri": config.kubeflow.image}}
    pools = [{**pool, "replica_count": 1}]
    if machines.workers > 1:
        pools.append({**pool, "replica_count": machines.workers - 1})
    job_spec = {"worker_pool_specs": pools}
    if config.kubeflow.vertex.service_account:
        job_spec["service_account"] = config.kubeflow.vertex.service_account
    return {"project": config.kubeflow.vertex.project, "job_spec": job_spec}


def trainer_component(config: PipelineConfig, custom_config: dict, **trainer_args) -> tfx.components.Trainer:
    """The Trainer of `trainer_args` (TFX Trainer's arguments), placed as `kubeflow.trainer` says."""
    machines = config.kubeflow and config.kubeflow.trainer
    if not machines:
        return tfx.components.Trainer(custom_config=custom_config, **trainer_args)
    if config.kubeflow.vertex is not None:
        return VERTEX.Trainer(
            custom_config={
                **custom_config,
                VERTEX.ENABLE_VERTEX_KEY: True,
                VERTEX.VERTEX_REGION_KEY: config.kubeflow.vertex.region,
                VERTEX.TRAINING_ARGS_KEY: vertex_custom_job(config),
            },
            **trainer_args,
        )
    trainer = tfx.components.Trainer(custom_config=custom_config, **trainer_args)
    if machines.accelerator is not None:
        resources = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec()
        accelerator = resources.accelerator
        # Both spellings, as kfp's own compiler writes them: older backends read type/count.
        accelerator.type = accelerator.resource_type = machines.accelerator.type
        accelerator.count = machines.accelerator.count
        accelerator.resource_count = str(machines.accelerator.count)
        trainer.with_platform_config(resources)
    return trainer
