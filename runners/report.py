"""The lines a runner prints when the pipeline is done: what ran, the verdict, and where to look.

For more, `python -m inspection` (tables or JSON) and `python -m inspection.html_report`.
"""

import dataclasses
import os

from components.embedding_evaluator import report as evaluation_report
from components.embedding_evaluator.catalog import (ALL_PAIRS, ALL_PAIRS_FARS, OPERATING_POINT, PAIR_SETS,
                                                   VERIFICATION_ACCURACY, tar_key)
from components.embedding_evaluator.report import NUM_IMPOSTOR_PAIRS, NUM_PAIRS, REFUSED, VERIFICATION_ACCURACY_STD
from configs import PipelineConfig
from inspection import metadata, views
from serving import identification_file, model_folder

# The Trainer's output holding its TensorBoard logs (tfx.types.standard_artifacts.ModelRun).
MODEL_RUN = "ModelRun"


def _operating_point(point: dict, scored_every_pair: bool) -> list:
    """The shipped threshold and its error rates (the report's operating point); or why none was, and
    what to change."""
    if REFUSED in point:
        return [f"Operating point: refused ({point[REFUSED]})", _ways_out(scored_every_pair)]
    if "threshold" not in point:
        return []
    return [f"Operating point: threshold {point['threshold']:.4f} for {point['criterion']} on the {point['pairs']} "
            f"pairs: FAR {point['far']:.4f}, FRR {point['frr']:.4f} ({point['num_negative_pairs']:.0f} + "
            f"{point['num_positive_pairs']:.0f} pairs)"]


def _ways_out(scored_every_pair: bool) -> str:
    """What to change when the pairs cannot measure the FAR asked for (too few different-identity pairs)."""
    more_pairs = ("more people in the eval split (every pair of it is scored already: evaluator.every_pair)"
                  if scored_every_pair else "every pair of the eval split (evaluator.every_pair.enabled: true)")
    return (f"  Nothing was pushed. Two ways out: a higher FAR (evaluator.operating_point.far), or {more_pairs}; "
            "see docs/own-faces.md")


def _low_fars(every: dict) -> list:
    """TAR at each FAR over every pair of the eval split; "unresolved" where too few pairs measure it."""
    if NUM_IMPOSTOR_PAIRS not in every:
        return []
    tars = [f"{far} {every[tar_key(far)]:.4f}" if isinstance(every.get(tar_key(far)), float) else f"{far} unresolved"
            for far in ALL_PAIRS_FARS]
    return [f"TAR at FAR over every eval pair ({every[NUM_IMPOSTOR_PAIRS]:.0f} different-identity): {', '.join(tars)}"]


def _accuracy(metrics: dict) -> str:
    return (f"{metrics[VERIFICATION_ACCURACY]:.4f} (+/- {metrics[VERIFICATION_ACCURACY_STD]:.4f}, "
            f"{metrics[NUM_PAIRS]:.0f} pairs)")


def _verdict(model: dict) -> list:
    metrics = evaluation_report.unflatten(model["metrics"])
    if VERIFICATION_ACCURACY not in metrics:
        return [f"Model {model['model']}: not evaluated"]
    return [
        f"Verification accuracy on unseen identities: {_accuracy(metrics)}",
        *(f"  on {name}: {_accuracy(values)}" for name, values in sorted(metrics.get(PAIR_SETS, {}).items())),
        *_low_fars(metrics.get(ALL_PAIRS, {})),
        *_operating_point(metrics.get(OPERATING_POINT, {}), ALL_PAIRS in metrics),
        f"Evaluation:      {model['evaluation_uri']}",
        f"Pushed model:    {model['pushed_to']}"
        if model["pushed_to"]
        else f"Pushed model:    none ({model['blessing_message']})",
        *_gallery(model["pushed_to"]),
    ]


def _gallery(version: str) -> list:
    """The gallery pushed with the version (pusher.gallery), and the command that searches it."""
    if not version or not model_folder.exists(os.path.join(version, identification_file.FILE_NAME)):
        return []
    point = identification_file.read(version)["operating_point"]
    return [f"Gallery:         {point['gallery_size']} people; unknown below {point['threshold']:.4f} "
            f"({point['criterion']}, TPIR {point['tpir']:.4f}); who is this: ./dev python -m serving identify PHOTO... "
            f"--model {os.path.dirname(version)}"]


@dataclasses.dataclass(frozen=True)
class Summary:
    """What the runner prints, and whether the run pushed a model (its exit status says so)."""

    text: str
    pushed: bool


def summary(config: PipelineConfig) -> Summary:
    """A few lines for the terminal about the newest run."""
    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name)
    lines = [f"Pipeline run {run.name}"]
    for row in views.executions(store, run):
        lines.append(f"  {row['component']:<30} {row['state']:<9} {row['duration_s']:8.1f} s")
    models = views.models(store, config.pipeline_name, run)
    for model in models:
        lines += _verdict(model)
    lines += _tensorboard(store, run)
    lines.append(f"Metadata store:  {config.metadata.describe(config.metadata_path)}")
    return Summary("\n".join(lines), any(model["pushed_to"] for model in models))


def _tensorboard(store, run) -> list:
    """Where the Trainer's TensorBoard logs are, and the command that shows them."""
    model_runs = metadata.run_artifacts(store, run).get(MODEL_RUN, [])
    if not model_runs:
        return []
    # Its folder holds one log folder per Trainer execution: TensorBoard shows every run's curves.
    this_run = model_runs[-1].uri
    return [f"TensorBoard:     ./dev tensorboard --logdir {os.path.dirname(this_run)}   (this run: {this_run})"]
