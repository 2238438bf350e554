"""The HTML report's section of failure cases: the hardest false accepts and false rejects as thumbnails.

Reads what the evaluator wrote into the ModelEvaluation (`failure_cases.json` and the PNG thumbnails
beside it, see components/embedding_evaluator/failure_cases.py) and embeds the images, so the
report stays one self-contained file. An evaluation without failure cases gives no section. A
section of `html_sections.MODEL_SECTIONS`.

Example:
    >>> html = section("/runs/demo/pipeline/EmbeddingEvaluator/evaluation/8")
    >>> "<h2>Failure cases</h2>" in html
    True
"""

import base64
import html
import json
import os

from components.embedding_evaluator import catalog

# The section brings its own few rules: the report's stylesheet need not know it.
STYLE = ("<style>.pairs{display:flex;flex-wrap:wrap;gap:8px}.pair{margin:0;text-align:center}"
         ".pair img{width:56px;height:auto;image-rendering:pixelated}</style>")
TITLES = {"false_accepts": "hardest false accepts (different people, accepted)",
          "false_rejects": "hardest false rejects (one person, rejected)"}


def _image(evaluation_uri: str, relative: str) -> str:
    with open(os.path.join(evaluation_uri, relative), "rb") as file:
        data = base64.b64encode(file.read()).decode("ascii")
    return f'<img alt="{html.escape(relative)}" src="data:image/png;base64,{data}">'


def _pair(evaluation_uri: str, row: dict) -> str:
    labels = " / ".join(html.escape(str(row[key])) for key in ("label_a", "label_b") if row.get(key) is not None)
    return (f'<figure class="pair">{_image(evaluation_uri, row["image_a"])}{_image(evaluation_uri, row["image_b"])}'
            f'<figcaption>{row["similarity"]:.4f}{"<br>" + labels if labels else ""}</figcaption></figure>')


def section(evaluation_uri: str) -> str:
    """The section's HTML, or "" when the evaluation holds no failure cases."""
    path = os.path.join(evaluation_uri, catalog.FAILURE_CASES_FILE)
    if not os.path.exists(path):  # the report reads local files only, with no TensorFlow
        return ""
    with open(path, encoding="utf-8") as file:
        cases = json.load(file)
    # Older evaluations' files name no threshold: theirs was the shipped one, or the report says why not.
    named = {case.get("threshold_name", catalog.SHIPPED_THRESHOLD) for case in cases.values()}
    parts = [STYLE, "<h2>Failure cases</h2>",
             f"<p>At the {html.escape(' / '.join(sorted(named)))}, on each set of pairs; the similarity under each "
             "pair.</p>"]
    for name, case in cases.items():
        for kind, title in TITLES.items():
            rows = case[kind]
            threshold_name = case.get("threshold_name", catalog.SHIPPED_THRESHOLD)
            parts.append(f"<h3>{html.escape(name)}: {title}, {html.escape(threshold_name)} "
                         f"{case['threshold']:.4f}</h3>")
            parts.append(f'<div class="pairs">{"".join(_pair(evaluation_uri, row) for row in rows)}</div>'
                         if rows else "<p>none</p>")
    return "\n".join(parts)
