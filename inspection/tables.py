"""Plain-text tables for the terminal: a header, aligned columns, numbers on the right.

    >>> rows = [{"name": "Trainer", "seconds": 35.8}]
    >>> print(table(rows, [Column("component", "name"), Column("s", "seconds")]))
    component     s
    Trainer    35.8
"""

import dataclasses
import json
from typing import Callable, List, Optional, Sequence


def cell(value) -> str:
    """How a value reads in a table: '-' for nothing, yes/no, floats to 4 significant places."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_nested(v)}" for k, v in value.items())
    return str(value)


def _nested(value) -> str:
    # A structure inside a cell reads as JSON, so its own commas and '=' stay unambiguous.
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else cell(value)


def decimals(places: int) -> Callable[[object], str]:
    """A cell shown with a fixed number of decimals when it is a number: `decimals(1)(13.94) == '13.9'`."""

    def show(value) -> str:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return f"{value:.{places}f}" if number else cell(value)

    return show


@dataclasses.dataclass(frozen=True)
class Column:
    """A column: its header, the row key it shows, and optionally how to show the value."""

    header: str
    key: str
    show: Callable[[object], str] = cell
    # Cells longer than this are cut with '…'; --json has them whole.
    max_width: Optional[int] = None


def _fit(text: str, max_width: Optional[int]) -> str:
    if max_width is None or len(text) <= max_width:
        return text
    return text[: max_width - 1] + "…"


def _is_numeric(values) -> bool:
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def table(rows: Sequence[dict], columns: List[Column]) -> str:
    """Rows (dicts) as a text table; a column of numbers (and blanks) is right-aligned."""
    cells = [[_fit(c.show(row.get(c.key)), c.max_width) for c in columns] for row in rows]
    numeric = [_is_numeric([row.get(c.key) for row in rows if row.get(c.key) is not None]) for c in columns]
    widths = [max([len(c.header)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]

    def line(values):
        padded = [v.rjust(w) if right else v.ljust(w) for v, w, right in zip(values, widths, numeric)]
        return "  ".join(padded).rstrip()

    return "\n".join([line([c.header for c in columns])] + [line(values) for values in cells])
