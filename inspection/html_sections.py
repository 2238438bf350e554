"""The sections of the HTML run report, one function each, in the order `SECTIONS` lists them.

A section takes the `Report` (the run and what was read about it) and returns HTML, or "" when the
run holds nothing for it. To add a section, write such a function and put it in `SECTIONS`; a
section of each model goes in `MODEL_SECTIONS` and takes the report and the model's row
(`views.models`). Tables use `html_report`'s helpers; figures are PNG data URIs, so the file stays
self-contained. Nothing here imports TensorFlow.
"""

import dataclasses
import glob
import html
import io
import json
import os
from typing import Callable, Dict, List, Optional

from components.embedding_evaluator import report as evaluation_report
from components.embedding_evaluator.catalog import EVAL_PAIRS, FIGURES, OPERATING_POINT
from inspection import evaluation_html, failure_cases_html, metadata, run_files, views
from inspection.html_parts import columns, png, table, uri
from inspection.tables import decimals
from pipeline import nodes

# Artifact types (TFX's standard artifacts) that sections read files from.
MODEL_RUN, STATISTICS, ANOMALIES = "ModelRun", "ExampleStatistics", "ExampleAnomalies"
# Components whose execution properties are the run's settings; custom_config is TFX's JSON of them.
SETTINGS_OF = (nodes.TRANSFORM, nodes.TRAINER, nodes.EMBEDDING_EVALUATOR, nodes.PUSHER)
CUSTOM_CONFIG = "custom_config"
# Their other parameters are TFX's plumbing (module paths, split configs), not the run's settings.
CONFIG_READERS = (nodes.TRANSFORM, nodes.TRAINER)
# Scalars drawn as training curves, one panel each, if the Trainer logged them.
CURVES = ("loss", "accuracy", "learning_rate")


@dataclasses.dataclass
class Report:
    """One run and what its sections read: the config, the store, the run's rows and artifacts."""

    config: object
    store: object
    run: object
    executions: List[dict]
    models: List[dict]
    artifacts: Dict[str, list]  # artifact type name -> the run's artifacts of it

    def uris(self, type_name: str) -> List[str]:
        return [artifact.uri for artifact in self.artifacts.get(type_name, [])]


def _flatten(value, prefix: str = "") -> Dict[str, object]:
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: json.dumps(value) if isinstance(value, (list, bool)) or value is None else value}


def settings(report: Report) -> str:
    """What the run was told: the config sections the Transform and Trainer received and the other
    components' parameters, as ML Metadata recorded them; each setting once."""
    by_component = metadata.run_executions(report.store, report.run)
    found = {}
    for component in SETTINGS_OF:
        execution = by_component.get(component)
        properties = views.property_values(execution) if execution is not None else {}
        for name, value in properties.items():
            if name == CUSTOM_CONFIG:  # the config's sections, as JSON
                found.update(_flatten(json.loads(value)))
            elif component not in CONFIG_READERS:
                found.update(_flatten(_maybe_json(value), f"{component}.{name}"))
    if not found:
        return ""
    lines = "".join(f"<div><b>{html.escape(key)}</b> {html.escape(str(value))}</div>"
                    for key, value in sorted(found.items()))
    return ("<h2>Run settings</h2><p>As the components received them (ML Metadata), not as the config file "
            f'says now.</p><div class="settings">{lines}</div>')


def _maybe_json(value):
    # TFX keeps structured parameters (a blessing policy, a push destination) as JSON text.
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            pass
    return value


def resumed_at(curves: Dict[str, list]) -> Optional[int]:
    """The first logged step of a training resumed from a checkpoint, None for one logged from its start.

    A resumed Trainer execution logs from where the killed one stopped, into its own folder: its
    first record comes later than one logging interval (the gap between its first two records).
    """
    steps = [step for step, _ in next((curves[name] for name in CURVES if name in curves), [])]
    if len(steps) < 2:
        return None
    return steps[0] if steps[0] > steps[1] - steps[0] else None


def _curves_png(curves: Dict[str, list], resumed: Optional[int] = None) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # only when there are curves to draw
    from matplotlib.figure import Figure

    shown = [name for name in CURVES if name in curves]
    figure = Figure(figsize=(4 * len(shown), 3.2))
    for axes, name in zip(figure.subplots(1, len(shown), squeeze=False)[0], shown):
        steps, values = zip(*curves[name])
        axes.plot(steps, values, color="tab:blue" if name == "loss" else "tab:orange" if name == "accuracy"
                  else "tab:green")
        if resumed is not None:  # the steps before ran in an earlier, interrupted execution
            axes.axvline(resumed, color="grey", linestyle="--", linewidth=1)
            axes.set_xlim(left=0)
            axes.annotate(f"resumed at {resumed}", (resumed, 0.02), xycoords=("data", "axes fraction"),
                          xytext=(-4, 0), textcoords="offset points", ha="right", fontsize=8, color="grey")
        axes.set(title=name, xlabel="train step")
        axes.grid(True, alpha=0.3)
    figure.tight_layout()
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def training(report: Report) -> str:
    """Loss, accuracy and learning rate by train step, from the Trainer's TensorBoard logs."""
    parts = []
    for log_dir in report.uris(MODEL_RUN):
        curves = run_files.training_curves(log_dir)
        if not any(name in curves for name in CURVES):
            parts.append(f"<p>No training scalars in {uri(log_dir)}.</p>")
            continue
        last = {name: points[-1] for name, points in curves.items()}
        summary = ", ".join(f"{name} {value:.4g}" for name, (_, value) in last.items())
        resumed = resumed_at(curves)
        if resumed is not None:
            summary += (f"; resumed from a checkpoint: the curves start at step {resumed}, the steps before ran "
                        "in an earlier Trainer execution that was interrupted (its logs are in the folder beside "
                        "this one)")
        parts.append(png(_curves_png(curves, resumed), "training curves",
                         f"at the last logged step ({max(step for step, _ in last.values())}): {summary}"))
        parts.append(f"<p>The logs: {uri(log_dir)}; every run's: "
                     f"<code>./dev tensorboard --logdir {html.escape(os.path.dirname(log_dir))}</code></p>")
    return "<h2>Training</h2>" + "".join(parts) if parts else ""


def data(report: Report) -> str:
    """Examples per split and what StatisticsGen found of each feature; ExampleValidator's anomalies."""
    parts = []
    for statistics_uri in report.uris(STATISTICS):
        for split, found in run_files.split_statistics(statistics_uri).items():
            parts.append(f"<h3>Split {html.escape(split)}: {found['examples']} examples</h3>")
            shown = [key for key in ("feature", "type", "present", "missing", "distinct", "range", "bytes")
                     if any(key in row for row in found["features"])]
            parts.append(table(found["features"], columns(*shown)))
    for anomalies_uri in report.uris(ANOMALIES):
        for split, problems in run_files.anomalies(anomalies_uri).items():
            if problems:
                listed = "".join(f"<li><b>{html.escape(name)}</b>: {html.escape(what)}</li>"
                                 for name, what in problems.items())
                parts.append(f'<p class="not-blessed">Anomalies in split {html.escape(split)}:</p><ul>{listed}</ul>')
            else:
                parts.append(f"<p>Split {html.escape(split)}: no anomalies against the schema.</p>")
    return "<h2>Data</h2>" + "".join(parts) if parts else ""


SECTIONS: List[Callable[[Report], str]] = [settings, training, data]


def comparison(report: Report, model: dict) -> str:
    """The model's metrics beside the blessed model's, scored on the same pairs in the same run."""
    evaluation = run_files.evaluation_report(model["evaluation_uri"])
    if evaluation is None:
        return ""
    baseline = evaluation.get(evaluation_report.BASELINE) or {}
    # The metrics; the sizes (num_*) are said once above the table.
    names = [name for name, value in (baseline or evaluation).items()
             if isinstance(value, (int, float)) and not isinstance(value, bool) and name in evaluation
             and not name.startswith("num_")]
    rows = []
    for name in names:
        row = {"metric": name, "this model": evaluation[name]}
        if name in baseline:
            row["blessed model"] = baseline[name]
            row["change"] = evaluation[name] - baseline[name]
        rows.append(row)
    against = (f"the latest blessed model, {uri(evaluation[evaluation_report.BASELINE_MODEL])}" if baseline
               else "no blessed model yet: nothing to compare with")
    sizes = (f"{evaluation.get(evaluation_report.NUM_PAIRS, 0):.0f} pairs "
             f"({evaluation.get(evaluation_report.PAIRS_SOURCE, '?')}); eval split "
             f"{evaluation.get(evaluation_report.NUM_IMAGES, 0):.0f} images of "
             f"{evaluation.get(evaluation_report.NUM_IDENTITIES, 0):.0f} identities")
    checks = "".join(f"<li>{html.escape(check)}</li>" for check in evaluation.get(evaluation_report.CHECKS, []))
    shown = ["metric", "this model", "blessed model", "change"] if baseline else ["metric", "this model"]
    return (f"<h3>Metrics, against {against}</h3><p>{html.escape(sizes)}</p>"
            f"{table(rows, columns(shown[0]) + columns(*shown[1:], show=decimals(4)))}"
            f"<p>Blessing checks:</p><ul>{checks}</ul>")


def _rate(rate: float, interval, count: int, total: int) -> str:
    low, high = interval
    return f"{rate:.4g} [{low:.4g}, {high:.4g}] ({count:.0f} of {total:.0f} pairs)"


def operating_point(report: Report, model: dict) -> str:
    """The threshold shipped with the model and what it does: FAR and FRR with their intervals and the
    counts they rest on; or why none was shipped."""
    evaluation = run_files.evaluation_report(model["evaluation_uri"])
    point = (evaluation or {}).get(OPERATING_POINT)
    if not point:
        return ""
    if evaluation_report.REFUSED in point:
        return ("<h3>Operating point</h3>"
                f'<p class="not-blessed">None: {html.escape(str(point[evaluation_report.REFUSED]))}</p>'
                "<p>No threshold was shipped, so the model was not blessed and nothing was pushed.</p>")
    confidence = f"{100 * point.get('confidence', 0.95):.0f}%"
    method = point.get("intervals", "exact binomial (Clopper-Pearson)")
    rows = [
        {"measure": "threshold",
         "value": f"{point['threshold']:.4f} (same person if the cosine similarity is at least this)"},
        {"measure": "chosen for", "value": f"{point['criterion']}, on the {point.get('pairs', EVAL_PAIRS)} pairs"},
        {"measure": "false accept rate (FAR)",
         "value": _rate(point["far"], point["far_interval"], point["false_accepts"], point["num_negative_pairs"])},
        {"measure": "false reject rate (FRR)",
         "value": _rate(point["frr"], point["frr_interval"], point["false_rejects"], point["num_positive_pairs"])},
    ]
    return (f"<h3>Operating point</h3>{table(rows, columns('measure', 'value'))}"
            f"<p>Intervals: {html.escape(confidence)}, {html.escape(str(method))}; counts: of the "
            "different-identity pairs (FAR) and same-identity pairs (FRR).</p>")


def figures(report: Report, model: dict) -> str:
    """The evaluator's figures (every PNG of the evaluation folder), those it names first."""
    folder = model["evaluation_uri"]
    if not folder:
        return ""
    paths = sorted(glob.glob(os.path.join(glob.escape(folder), "*.png")),
                   key=lambda path: (FIGURES.index(os.path.basename(path))
                                     if os.path.basename(path) in FIGURES else len(FIGURES), path))
    if not paths:
        return f"<h3>Evaluation figures</h3><p>No figures (PNG files) in {uri(folder)}.</p>"
    shown = []
    for path in paths:
        with open(path, "rb") as file:
            shown.append(png(file.read(), os.path.basename(path)))
    return "<h3>Evaluation figures</h3>" + "".join(shown)


def failure_cases(report: Report, model: dict) -> str:
    """The hardest false accepts and rejects as thumbnails (`failure_cases_html`)."""
    return failure_cases_html.section(model["evaluation_uri"]) if model["evaluation_uri"] else ""


MODEL_SECTIONS: List[Callable[[Report, dict], str]] = [operating_point, comparison, evaluation_html.low_far,
                                                       evaluation_html.groups, evaluation_html.ijb, figures,
                                                       failure_cases]


def render_sections(report: Report) -> str:
    return "\n".join(part for part in (section(report) for section in SECTIONS) if part)


def render_model_sections(report: Report, model: dict) -> str:
    return "\n".join(part for part in (section(report, model) for section in MODEL_SECTIONS) if part)
