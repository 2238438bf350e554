"""The model card in each pushed version: `model_card.json` (Model Card Toolkit's schema) and `model_card.md`.

The VersionedPusher writes both beside the SavedModel (components/versioned_pusher/model_card.py
fills them from the run); this module owns their names and the readable page. The JSON follows
the field names of Model Card Toolkit's model_card schema v0.0.2 (`model_details`,
`model_parameters`, `quantitative_analysis.performance_metrics` with `slice` and
`confidence_interval`, `considerations`), because the toolkit itself cannot be installed beside
TFX 1.21 (docs/decisions/model-card-schema.md).

Example:
    >>> card = json.load(open("/srv/models/arcface/1760000000/model_card.json"))
    >>> print(render_page(card))
    # arcface, version 1760000000
    ...
"""

from typing import Iterable, Mapping

FILE_NAME = "model_card.json"
PAGE_NAME = "model_card.md"
SCHEMA_VERSION = "0.0.2"  # Model Card Toolkit's model_card.schema.json whose field names the card uses


def _items(entries: Iterable[Mapping], key: str = "description") -> str:
    return "\n".join(f"- {entry.get('name', '') + ': ' if entry.get('name') else ''}{entry[key]}" for entry in entries)


def _metric_rows(metrics: Iterable[Mapping]) -> str:
    rows = ["| slice | metric | value | 95% interval |", "|---|---|---|---|"]
    for metric in metrics:
        interval = metric.get("confidence_interval")
        bounds = f"{interval['lower_bound']} - {interval['upper_bound']}" if interval else ""
        rows.append(f"| {metric.get('slice', '')} | {metric['type']} | {metric['value']} | {bounds} |")
    return "\n".join(rows)


def render_page(card: Mapping) -> str:
    """The card as a Markdown page a reader can open beside the model."""
    details, parameters = card["model_details"], card["model_parameters"]
    considerations = card["considerations"]
    sections = {
        "Intended use": _items(considerations["use_cases"]),
        "Users": _items(considerations["users"]),
        "Out of scope and limitations": _items(considerations["limitations"]),
        "Operating point": _items(considerations["tradeoffs"]),
        "Data": (f"{_items(parameters['data'])}\n\nInput: {parameters['input_format']}. "
                 f"Output: {parameters['output_format']}."),
        "Figures": _metric_rows(card["quantitative_analysis"]["performance_metrics"]),
        "Fairness": _items(considerations["ethical_considerations"], "mitigation_strategy"),
        "Lineage (ML Metadata)": "\n".join(f"- {reference['reference']}" for reference in details["references"]),
    }
    head = (f"# {details['name']}, version {details['version']['name']}\n\n{details['overview']}\n\n"
            f"Published {details['version']['date']} at `{details['path']}`.\n")
    return head + "".join(f"\n## {heading}\n{text}\n" for heading, text in sections.items())
