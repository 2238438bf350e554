"""What a conversion did: records written, inputs skipped and why, inputs changed on the way.

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


@dataclasses.dataclass
class ConversionSummary:
    """Counts of one conversion; `notes` counts inputs converted with a change (e.g. re-encoded)."""

    kind: str
    written: int = 0
    shards: List[str] = dataclasses.field(default_factory=list)
    skipped: List[Skipped] = dataclasses.field(default_factory=list)
    notes: Dict[str, int] = dataclasses.field(default_factory=collections.Counter)
    identities: Optional[int] = None
    label_names: Optional[List[str]] = None  # identity name of each int label, when labels are indices
    seconds: float = 0.0

    def skip(self, source: str, reason: str, detail: str = "") -> None:
        self.skipped.append(Skipped(source, reason, detail))

    def note(self, what: str, count: int = 1) -> None:
        self.notes[what] += count

    def skipped_by_reason(self) -> Dict[str, List[Skipped]]:
        grouped = collections.defaultdict(list)
        for item in self.skipped:
            grouped[item.reason].append(item)
        return dict(grouped)

    def format(self) -> str:
        """A few human-readable lines: totals, then one line per skip reason and per note."""
        identities = f" of {self.identities} identities" if self.identities is not None else ""
        lines = [f"{self.kind}: {self.written} written{identities} to {len(self.shards)} shard(s), "
                 f"{len(self.skipped)} skipped, {self.seconds:.1f} s"]
        for reason, items in sorted(self.skipped_by_reason().items()):
            first = items[0]
            lines.append(f"  skipped, {reason}: {len(items)} (e.g. {first.source}: {first.detail})")
        for what, count in sorted(self.notes.items()):
            lines.append(f"  {what}: {count}")
        if self.label_names:
            shown = ", ".join(f"{label}={name}" for label, name in enumerate(self.label_names[:5]))
            more = f", ... ({len(self.label_names)} in all)" if len(self.label_names) > 5 else ""
            lines.append(f"  labels: {shown}{more}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "notes": dict(self.notes)}
