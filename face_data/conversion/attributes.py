"""Attributes of faces from a CSV, for per-group rates: the converters' `--attributes CSV`.

The first column's header says what a row describes: `identity` (every face of that identity:
its label, or the name of its folder) or `image` (one face: its path as the converter names it,
e.g. `s1/1.pgm`, or its file name). Every other column is an attribute, written into each face
record as `attribute/<column>` (face_data/records/contract.py); a face the CSV does not name gets "" (unknown).

Example (attributes.csv):
    identity,region,age_band
    s1,north,30-39
    s2,south,20-29

    >>> table = read_attributes("attributes.csv")
    >>> table.lookup(label=0, source="s1/1.pgm")
    {'region': 'north', 'age_band': '30-39'}
"""

import csv
import dataclasses
import os
from typing import Dict, Mapping, Tuple

KEYS = ("identity", "image")


@dataclasses.dataclass(frozen=True)
class AttributeTable:
    """Rows of attribute values by identity or by image (`key`)."""

    key: str
    names: Tuple[str, ...]
    rows: Mapping[str, Tuple[str, ...]]

    def lookup(self, label, source: str) -> Dict[str, str]:
        """The attributes of the face with `label` read from `source`; "" for each one not given."""
        if self.key == "identity":
            text = label.decode("utf-8") if isinstance(label, bytes) else str(label)
            candidates = (text, os.path.basename(os.path.dirname(source)))
        else:
            candidates = (source, os.path.basename(source))
        for candidate in candidates:
            if candidate in self.rows:
                return dict(zip(self.names, self.rows[candidate]))
        return {name: "" for name in self.names}


def read_attributes(path: str) -> AttributeTable:
    """Reads an attributes CSV; ValueError naming the file and row if it is malformed."""
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if not header or header[0].strip() not in KEYS or len(header) < 2:
            raise ValueError(f"{path}: expected a header 'identity,<attribute>,...' or 'image,<attribute>,...', "
                             f"got {header}")
        names = tuple(name.strip() for name in header[1:])
        if "" in names or len(set(names)) != len(names):
            raise ValueError(f"{path}: expected distinct, non-empty attribute names, got {list(names)}")
        rows = {}
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{path} line {number}: expected {len(header)} values, got {len(row)}")
            if row[0] in rows:
                raise ValueError(f"{path} line {number}: {header[0]} {row[0]!r} appears twice")
            rows[row[0]] = tuple(value.strip() for value in row[1:])
    return AttributeTable(header[0].strip(), names, rows)
