"""A run report in one HTML file that opens in a browser with no server.

    python -m inspection.html_report --config configs/local.yaml [--run RUN] --output report.html

It shows the run's components with their durations on a timeline, the settings each component
received, the training curves, the data's statistics and anomalies, then for each model its
blessing, its metrics beside the blessed model's, its TAR down to a FAR of 1e-6 over every eval
pair, its per-group rates and IJB figures (evaluation_html.py), the evaluation's figures (ROC with
a log FAR axis and the shipped threshold, similarity histogram, identity separation) and its
lineage with the artifacts on it.
The sections are in `html_sections.py`. Styles are inline and images embedded as data URIs, so
the file can be mailed or attached to a ticket as it is. The output's missing folders are made; an
output path that runs into a file is refused in one line, exit status 1 (console/errors.py).
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import errno
import html
import os
import sys
import tempfile
from typing import List, Optional

from configs import PipelineConfig, load_config
from console import errors
from inspection import html_parts, html_sections, metadata, views
from inspection.tables import cell, decimals
from pipeline import run_lock

PROG = "python -m inspection.html_report"
STYLE = """
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; color: #222; max-width: 1200px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f7; } td.num { text-align: right; }
.timeline { width: 360px; } .bar { height: 12px; background: #3b7dd8; min-width: 2px; }
.state-FAILED .bar { background: #d83b3b; } .state-CACHED .bar { background: #9bb8e0; }
.state-DEAD .bar { background: #888; }
.blessed { color: #1a7f37; font-weight: bold; } .not-blessed { color: #c62828; font-weight: bold; }
figure { display: inline-block; vertical-align: top; margin: 0.5em 1em 0.5em 0; max-width: 100%; }
img { max-width: 100%; border: 1px solid #ddd; }
.uri { font-family: "DejaVu Sans Mono", monospace; font-size: 0.95em; overflow-wrap: anywhere; }
.props { max-width: 30em; overflow-wrap: anywhere; }
.settings { columns: 3; font-size: 0.85em; } .settings div { overflow-wrap: anywhere; break-inside: avoid; }
"""

def _properties(values: dict) -> str:
    lines = [html.escape(cell({name: value})) for name, value in values.items()]
    return f'<div class="props">{"<br>".join(lines)}</div>'


def _artifact_links(ids) -> str:
    return ", ".join(f'<a href="#artifact-{i}">{i}</a>' for i in ids)


STEP_COLUMNS: List[html_parts.HtmlColumn] = [
    ("depth", "depth", None),
    ("execution", "execution", None),
    ("component", "component", None),
    ("state", "state", None),
    ("run", "run", None),
    ("inputs", "inputs", _artifact_links),
    ("outputs", "outputs", _artifact_links),
]
ARTIFACT_COLUMNS: List[html_parts.HtmlColumn] = [
    ("id", "artifact", None),
    ("type", "type", None),
    ("producer", "producer", None),
    ("run", "run", None),
    ("uri", "uri", html_parts.uri),
    ("properties", "properties", _properties),
]


def _timeline(executions: List[dict]) -> str:
    """The components as a table with a bar each: when it started and how long it took."""
    total = max((e["offset_s"] + (e["duration_s"] or 0) for e in executions), default=0) or 1
    rows = []
    for e in executions:
        bar = (
            f'<div class="bar" style="margin-left:{100 * e["offset_s"] / total:.2f}%;'
            f'width:{100 * (e["duration_s"] or 0) / total:.2f}%"></div>'
        )
        rows.append(
            f'<tr class="state-{html.escape(e["state"])}"><td>{html.escape(e["component"])}</td>'
            f'<td>{html.escape(e["state"])}</td><td>{html.escape(e["started"])}</td>'
            f'<td class=num>{decimals(1)(e["duration_s"])}</td><td class="timeline">{bar}</td></tr>'
        )
    headers = ["component", "state", "started (UTC)", "duration s", "timeline"]
    head = "".join(f"<th>{header}</th>" for header in headers)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _model_section(report: html_sections.Report, model: dict) -> str:
    verdict = {
        True: '<span class="blessed">blessed</span>',
        False: '<span class="not-blessed">not blessed</span>',
        None: "no blessing",
    }[model["blessed"]]
    parts = [
        f"<h2>Model {model['model']}</h2>",
        f"<p>{html_parts.uri(model['uri'])}</p>",
        f"<p>{verdict}: {html.escape(model['blessing_message'] or '')}</p>",
        f"<p>Pushed to: {html_parts.uri(model['pushed_to']) if model['pushed_to'] else 'not pushed'}</p>",
    ]
    if model["evaluation_uri"]:
        shown = html_sections.render_model_sections(report, model)
        if "<h3>Metrics" not in shown:  # no metrics.json: the figures ML Metadata keeps
            metrics = [{"metric": name, "value": value} for name, value in model["metrics"].items()]
            shown = (html_parts.table(metrics, [("metric", "metric", None), ("value", "value", None)])
                     + "<p>As ML Metadata keeps them, to 6 decimals; the evaluation folder has them whole: "
                     f"{html_parts.uri(model['evaluation_uri'])}</p>" + shown)
        parts.append(shown)
    found = views.lineage(report.store, model["model"])
    parts += [
        "<h3>Lineage of the model</h3>",
        "<p>Upstream: the executions it was made from, nearest first.</p>",
        html_parts.table(found["upstream"], STEP_COLUMNS),
        "<p>Downstream: the executions that used it.</p>",
        html_parts.table(found["downstream"], STEP_COLUMNS),
        "<p>The artifacts they read and wrote.</p>",
        html_parts.table(found["artifacts"], ARTIFACT_COLUMNS, row_id="artifact"),
    ]
    return "\n".join(parts)


def render(config: PipelineConfig, store, run_name: Optional[str] = None) -> str:
    """The report of one run (the newest by default) as a complete HTML document."""
    run = metadata.find_run(store, config.pipeline_name, run_name)
    alive = run_lock.runner_alive(config)  # a killed run's unfinished executions show as DEAD
    [summary] = [r for r in views.runs(store, config.pipeline_name, alive) if r["run"] == run.name]
    dead = run.name in views.dead_runs(store, config.pipeline_name, alive)
    report = html_sections.Report(config, store, run, views.executions(store, run, dead),
                                  views.models(store, config.pipeline_name, run), metadata.run_artifacts(store, run))
    title = html.escape(f"{config.pipeline_name}: run {run.name}")
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>Started {summary['started']}, took {decimals(1)(summary['duration_s'])} s;"
        f" executions: {html_parts.text(summary['states'])}.<br>"
        f"ML Metadata store: {html_parts.uri(config.metadata.describe(config.metadata_path))}</p>",
        "<h2>Components</h2>",
        _timeline(report.executions),
        html_sections.render_sections(report),
    ]
    parts += [_model_section(report, model) for model in report.models] or ["<p>This run produced no model.</p>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(document: str, output: str) -> str:
    """Writes `document` to `output` whole (a temp file renamed over it), making its missing folders;
    returns the absolute path. A folder path that runs into a file is refused (OSError naming it)."""
    output = os.path.abspath(output)
    if os.path.isdir(output):
        raise IsADirectoryError(errno.EISDIR, "expected an HTML file name, got a folder", output)
    folder = os.path.dirname(output)
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file where a folder must be: name that file
        blocking = folder
        while not os.path.exists(blocking):
            blocking = os.path.dirname(blocking)
        raise NotADirectoryError(errno.ENOTDIR, "expected a folder to write the report in, got a file",
                                 blocking) from None
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=".report-", suffix=".partial",
                                     delete=False) as file:
        file.write(document)
    os.replace(file.name, output)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config (YAML)")
    parser.add_argument(
        "--run", help="a run name (see `python -m inspection runs`); default: the newest"
    )
    parser.add_argument("--output", required=True, help="the HTML file to write (missing folders are made)")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)

    def command():
        config = load_config(args.config)  # bad config, no store, unknown run: one line (console/errors.py)
        print(f"wrote {write_report(render(config, metadata.open_store(config), args.run), args.output)}")

    return errors.run(PROG, command)


if __name__ == "__main__":
    sys.exit(main())
