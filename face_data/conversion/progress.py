"""Progress lines for long conversions, at most one every few seconds, on stderr.

Example:
    >>> progress = Progress(total=5000, what="images")
    >>> progress.advance(done=250, skipped=1)   # prints "images: 250/5000 (5%), 1 skipped, 3.1 s"
"""

import sys
import time
from typing import Optional, TextIO


class Progress:
    """Counts finished items and reports them every `interval_seconds` (and once at the end)."""

    def __init__(self, total: Optional[int], what: str, interval_seconds: float = 5.0,
                 stream: Optional[TextIO] = None, enabled: bool = True, skipped: int = 0):
        self.total, self.what, self.interval = total, what, interval_seconds
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done, self.skipped = 0, skipped
        self._start = self._last = time.monotonic()

    def advance(self, done: int, skipped: int = 0) -> None:
        self.done += done
        self.skipped += skipped
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._report(now)

    def finish(self) -> None:
        self._report(time.monotonic())

    def _report(self, now: float) -> None:
        if not self.enabled:
            return
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        total = f"/{self.total}" if self.total is not None else ""
        print(f"{self.what}: {self.done}{total}{share}, {self.skipped} skipped, {now - self._start:.1f} s",
              file=self.stream, flush=True)
