"""What a conversion did: records written, inputs skipped and why, inputs changed on the way, and
inputs converted with something to look at (noticed: named, like the skipped ones).

Example:
    >>> summary = ConversionSummary(kind="faces")
    >>> summary.skip("s1/3.pgm", "corrupt image", "image file is truncated")
    >>> print(summary.format())
    faces: 0 written to 0 shard(s), 1 skipped, 0.0 s
      skipped, corrupt image: 1 (e.g. s1/3.pgm: image file is truncated)
"""

import collections
import dataclasses
from typing import Dict, List, Optional


@dataclasses.dataclass(frozen=True)
class Skipped:
    """One input left out: where it was, a short reason category and the details."""

    source: str
    reason: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class Noticed:
    """One input converted, with something its owner may want to check (e.g. several faces in a photo)."""

    source: str
    what: str
    detail: str = ""


# Inputs named per kind of skip or notice in `format()`; `to_dict()` names them all.
NAMES_SHOWN = 5


@dataclasses.dataclass
class ConversionSummary:
    """Counts of one conversion; `notes` counts inputs converted with a change (e.g. re-encoded)."""

    kind: str
    written: int = 0
    shards: List[str] = dataclasses.field(default_factory=list)
    skipped: List[Skipped] = dataclasses.field(default_factory=list)
    noticed: List[Noticed] = dataclasses.field(default_factory=list)
    notes: Dict[str, int] = dataclasses.field(default_factory=collections.Counter)
    identities: Optional[int] = None
    label_names: Optional[List[str]] = None  # identity name of each int label, when labels are indices
    seconds: float = 0.0

    def skip(self, source: str, reason: str, detail: str = "") -> None:
        self.skipped.append(Skipped(source, reason, detail))

    def note(self, what: str, count: int = 1) -> None:
        self.notes[what] += count

    def format(self) -> str:
        """A few human-readable lines: totals, then one line per skip reason and per note."""
        identities = f" of {self.identities} identities" if self.identities is not None else ""
        lines = [f"{self.kind}: {self.written} written{identities} to {len(self.shards)} shard(s), "
                 f"{len(self.skipped)} skipped, {self.seconds:.1f} s"]
        lines += skipped_lines(self.skipped)
        for what, count in sorted(self.notes.items()):
            lines.append(f"  {what}: {count}")
        lines += noticed_lines(self.noticed)
        if self.label_names:
            shown = ", ".join(f"{label}={name}" for label, name in enumerate(self.label_names[:5]))
            more = f", ... ({len(self.label_names)} in all)" if len(self.label_names) > 5 else ""
            lines.append(f"  labels: {shown}{more}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "notes": dict(self.notes)}


def skipped_lines(skipped: List[Skipped]) -> List[str]:
    """One line per reason: how many inputs were skipped for it, the first with its details, a few more names."""
    lines = []
    for reason, items in sorted(_grouped(skipped, "reason").items()):
        first, others = items[0], [item.source for item in items[1:NAMES_SHOWN]]
        also = f"; also {', '.join(others)}{', ...' if len(items) > NAMES_SHOWN else ''}" if others else ""
        lines.append(f"  skipped, {reason}: {len(items)} (e.g. {first.source}: {first.detail}{also})")
    return lines


def noticed_lines(noticed: List[Noticed]) -> List[str]:
    """One line per kind of notice (e.g. several faces in a photo): how many, and the first few named."""
    lines = []
    for what, items in sorted(_grouped(noticed, "what").items()):
        names = ", ".join(f"{item.source} ({item.detail})" if item.detail else item.source
                          for item in items[:NAMES_SHOWN])
        lines.append(f"  {what}: {len(items)}: {names}{', ...' if len(items) > NAMES_SHOWN else ''}")
    return lines


def _grouped(items: list, key: str) -> dict:
    grouped = collections.defaultdict(list)
    for item in items:
        grouped[getattr(item, key)].append(item)
    return dict(grouped)
