"""One benchmark's outcome, and the two files the harness writes: results.json and results.md.

A benchmark returns a `Result`: a table whose cells are either settings (plain values) or
figures (`measure.summary` dicts), the target it is judged against, and the verdict it reached
from its own figures. The Markdown shows each figure as `median (min-max)`.

The files hold the latest result of every benchmark: a run of some of them (`--only`) replaces
those and keeps the others, each with the date, commit and load it was measured at.
"""

import dataclasses
import json
import math
import os
from typing import List, Optional, Tuple


@dataclasses.dataclass
class Result:
    """What one benchmark measured.

    Attributes:
        name: the benchmark's name on the command line (`--only NAME`).
        title: a heading.
        target: the target, in words.
        columns: `(key, header)` of each table column, in order.
        rows: one dict per table row, keyed by column key.
        met: whether the target was met (None if the run cannot judge it).
        verdict: by how much the target was met or missed, in words and measured figures.
        notes: how it was measured: sizes, repeats, what is and is not timed.
        seconds: wall time of the whole benchmark.
        run: when and under what load it was measured: `date`, `commit`, `load_start` and
            `load_end` (1/5/15 min load averages), set by the harness.
    """

    name: str
    title: str
    target: str
    columns: List[Tuple[str, str]]
    rows: List[dict]
    met: Optional[bool]
    verdict: str
    notes: List[str]
    seconds: float = 0.0
    run: Optional[dict] = None


def is_figure(value):
    return isinstance(value, dict) and "median" in value


def format_number(value):
    """Three significant digits, without exponent notation for everyday magnitudes."""
    if value == 0 or not math.isfinite(value):
        return str(value)
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude < -3:
        return f"{value:.3g}"
    return f"{value:,.{max(0, 2 - magnitude)}f}"


def format_cell(value):
    if is_figure(value):
        if value["min"] == value["max"]:
            return format_number(value["median"])
        return f"{format_number(value['median'])} ({format_number(value['min'])}-{format_number(value['max'])})"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def markdown(results, machine, mode):
    """The results as Markdown: the machine, then one table per benchmark with its verdict."""
    versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
    lines = [
        f"# Benchmarks ({mode})",
        "",
        f"{machine['cores']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB,"
        f" Linux {machine['kernel']}; Python {machine['python']}, {versions}.",
        "Other processes share the cores: each benchmark gives the load average (1/5/15 min) at"
        f" its start and end. Benchmarks' wall time: {sum(r.seconds for r in results) / 60:.1f} min.",
        "",
        "Each figure: median (min-max) of repeated runs; `python -m bench` reproduces it.",
    ]
    for result in results:
        status = {True: "met", False: "MISSED", None: "not judged"}[result.met]
        lines += ["", f"## {result.title}", "", f"Target: {result.target}. **{status}**: {result.verdict}", ""]
        lines.append("| " + " | ".join(header for _, header in result.columns) + " |")
        lines.append("|" + "---|" * len(result.columns))
        for row in result.rows:
            lines.append("| " + " | ".join(format_cell(row.get(key, "")) for key, _ in result.columns) + " |")
        lines.append("")
        lines += [f"- {note}" for note in result.notes]
        run = result.run
        lines.append(f"- Measured {run['date']} at commit {run['commit']}, load average"
                     f" {run['load_start']} at start, {run['load_end']} at end; wall time"
                     f" {result.seconds:.0f} s.")
    return "\n".join(lines) + "\n"


def read(output_dir, mode):
    """The `Result`s and settings already in `output_dir`'s results.json, by benchmark name.

    Empty if there is no such file or it holds another mode's results (smoke sizes never mix
    with full ones).
    """
    path = os.path.join(output_dir, "results.json")
    if not os.path.exists(path):
        return {}, {}
    with open(path) as json_file:
        document = json.load(json_file)
    if document["mode"] != mode:
        return {}, {}
    results = {name: Result(**fields) for name, fields in document["benchmarks"].items()}
    return results, document["settings"]


def write(output_dir, results, machine, mode, settings, order):
    """Writes results.json and results.md into `output_dir`; returns their paths.

    `results` and `settings` are keyed by benchmark name; `order` lists the names in the order
    the files show them.
    """
    os.makedirs(output_dir, exist_ok=True)
    results = [results[name] for name in order if name in results]
    document = {
        "mode": mode,
        "machine": machine,
        "settings": {result.name: settings[result.name] for result in results},
        "benchmarks": {result.name: dataclasses.asdict(result) for result in results},
    }
    json_path = os.path.join(output_dir, "results.json")
    markdown_path = os.path.join(output_dir, "results.md")
    with open(json_path, "w") as json_file:
        json.dump(document, json_file, indent=1, allow_nan=False)
        json_file.write("\n")
    with open(markdown_path, "w") as markdown_file:
        markdown_file.write(markdown(results, machine, mode))
    return json_path, markdown_path
