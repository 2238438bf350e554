"""The lines a runner prints when the pipeline is done: what ran, the verdict, and where to look.

For more, `python -m inspection` (tables or JSON) and `python -m inspection.html_report`.
"""

import os

from configs import PipelineConfig
from inspection import metadata, views

# The Trainer's output holding its TensorBoard logs (tfx.types.standard_artifacts.ModelRun).
MODEL_RUN = "ModelRun"


def _operating_point(metrics: dict) -> list:
    """The shipped threshold and its error rates (from the evaluation's properties: operating_point/...)."""
    point = {key.split("/", 1)[1]: value for key, value in metrics.items() if key.startswith("operating_point/")}
    if "refused" in point:
        return [f"Operating point: refused ({point['refused']})"]
    if "threshold" not in point:
        return []
    return [f"Operating point: threshold {point['threshold']:.4f} for {point['criterion']} on the {point['pairs']} "
            f"pairs: FAR {point['far']:.4f}, FRR {point['frr']:.4f} ({point['num_negative_pairs']:.0f} + "
            f"{point['num_positive_pairs']:.0f} pairs)"]


def _pair_sets(metrics: dict) -> list:
    """One line per named pairs set (properties pair_sets/<name>/...)."""
    names = sorted({key.split("/")[1] for key in metrics if key.startswith("pair_sets/")})
    return [f"  on {name}: {metrics[f'pair_sets/{name}/verification_accuracy']:.4f}"
            f" (+/- {metrics[f'pair_sets/{name}/verification_accuracy_std']:.4f},"
            f" {metrics[f'pair_sets/{name}/num_pairs']:.0f} pairs)" for name in names]


def _verdict(model: dict) -> list:
    metrics = model["metrics"]
    if "verification_accuracy" not in metrics:
        return [f"Model {model['model']}: not evaluated"]
    return [
        f"Verification accuracy on unseen identities: {metrics['verification_accuracy']:.4f}"
        f" (+/- {metrics['verification_accuracy_std']:.4f}, {metrics['num_pairs']:.0f} pairs)",
        *_pair_sets(metrics),
        *_operating_point(metrics),
        f"Evaluation:      {model['evaluation_uri']}",
        f"Pushed model:    {model['pushed_to']}"
        if model["pushed_to"]
        else f"Pushed model:    none ({model['blessing_message']})",
    ]


def summary(config: PipelineConfig) -> str:
    """A few lines for the terminal about the newest run."""
    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name)
    lines = [f"Pipeline run {run.name}"]
    for row in views.executions(store, run):
        lines.append(f"  {row['component']:<30} {row['state']:<9} {row['duration_s']:8.1f} s")
    for model in views.models(store, config.pipeline_name, run):
        lines += _verdict(model)
    lines += _tensorboard(store, run)
    lines.append(f"Metadata store:  {config.metadata.describe(config.metadata_path)}")
    return "\n".join(lines)


def _tensorboard(store, run) -> list:
    """Where the Trainer's TensorBoard logs are, and the command that shows them."""
    model_runs = metadata.run_artifacts(store, run).get(MODEL_RUN, [])
    if not model_runs:
        return []
    # Its folder holds one log folder per Trainer execution: TensorBoard shows every run's curves.
    this_run = model_runs[-1].uri
    return [f"TensorBoard:     ./dev tensorboard --logdir {os.path.dirname(this_run)}   (this run: {this_run})"]
