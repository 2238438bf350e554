"""HTML building blocks of the run report and its sections: text, URIs, tables, embedded PNGs.

Example:
    >>> table([{"metric": "auc", "value": 0.98}], columns("metric", "value"))
    '<table><tr><th>metric</th><th>value</th></tr><tr><td>auc</td><td class=num>0.98</td></tr></table>'
"""

import base64
import html
from typing import Callable, List, Optional, Sequence, Tuple

from inspection.tables import cell

# A column: header, row key, and how the value becomes HTML (default: the terminal's text, escaped).
HtmlColumn = Tuple[str, str, Optional[Callable[[object], str]]]


def text(value) -> str:
    return html.escape(cell(value))


def uri(value) -> str:
    return f'<span class="uri">{html.escape(str(value))}</span>'


def columns(*keys: str, show: Optional[Callable[[object], str]] = None) -> List[HtmlColumn]:
    """Columns headed by their keys, all shown by `show` (default: `text`)."""
    return [(key, key, show) for key in keys]


def table(rows: Sequence[dict], columns: List[HtmlColumn], row_id: Optional[str] = None) -> str:
    """An HTML table; numbers right-aligned; `row_id` names the key whose value anchors each row."""
    head = "".join(f"<th>{html.escape(header)}</th>" for header, _, _ in columns)
    body = []
    for row in rows:
        cells = []
        for _, key, show in columns:
            value = row.get(key)
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(f'<td{" class=num" if numeric else ""}>{(show or text)(value) if value is not None else ""}</td>')
        anchor = f' id="artifact-{row[row_id]}"' if row_id else ""
        body.append(f"<tr{anchor}>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def png(data: bytes, name: str, caption: Optional[str] = None) -> str:
    """A figure holding PNG bytes as a data URI, so the page needs no other file."""
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(caption or name)}</figcaption></figure>")
