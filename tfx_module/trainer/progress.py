"""The Trainer's progress lines: step/total, the logged values, images/s and the time left.

A line at the first step (it includes tracing the step function), then whenever `every_seconds`
have passed since the previous line, and at the last step:

    Trainer: step 1/1200 (0%)  loss 21.74  accuracy 0.000  lr 1.667e-06  first step 9.8 s
    Trainer: step 236/1200 (20%)  loss 15.02  accuracy 0.031  lr 0.00934  251 images/s  ETA 2m03s
    Trainer: step 1200/1200 (100%)  loss 3.112  accuracy 0.870  lr 0  247 images/s  took 2m41s

Which values: every value of the step's `logs`, those named in `FORMATS` first and in its order,
shown by `FORMATS` (else with 4 significant digits) under their `SHORT_NAMES` (else their name). To add a field, a Keras
callback listed before the `TrainingLog` (monitoring.py) puts it into `logs` at that step, e.g.
`logs["val_accuracy"] = 0.91`: it then appears on the line (and in TensorBoard) under its name;
add its name to `FORMATS` to choose its format. This module imports no TensorFlow.

Example:
    >>> progress = Progress(total_steps=1200, batch_size=32, every_seconds=15)
    >>> if progress.due(step):
    ...     show_on_stderr().info(progress.line(step, {"loss": 15.02, "accuracy": 0.031}))
"""

import logging
import math
import sys
import time
from typing import Dict, Optional

from tfx_module.trainer import logged

# How a logged value is shown; others get 4 significant digits.
FORMATS = {logged.LOSS: "{:.4g}", logged.ACCURACY: "{:.3f}", logged.SAMPLED_ACCURACY: "{:.3f}", logged.LEARNING_RATE: "{:.4g}"}
SHORT_NAMES = {logged.LEARNING_RATE: "lr"}
PREFIX = "Trainer: "

logger = logging.getLogger(__name__)


def show_on_stderr() -> logging.Logger:
    """The progress logger, printing its lines on stderr whatever the root logger's level.

    The local runner leaves the root logger at WARNING so that TFX and Beam stay quiet; progress is
    for the person waiting, so it has its own handler. Silence it with
    `logging.getLogger("tfx_module.trainer.progress").setLevel(logging.WARNING)`.
    """
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(PREFIX + "%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # once, not again through the root logger's handlers
    return logger


def duration(seconds: float) -> str:
    """`45s`, `2m03s`, `1h02m`: precise enough for a time left."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _value(name: str, value: float) -> str:
    shown = FORMATS.get(name, "{:.4g}").format(value) if math.isfinite(value) else str(value)
    return f"{SHORT_NAMES.get(name, name)} {shown}"


class Progress:
    """Decides when a progress line is due and writes it.

    Args:
        total_steps: the step training ends at.
        batch_size: images per step (the global batch), for images/s.
        every_seconds: the longest time between two lines.
        clock: seconds, monotonic (a parameter for tests).
    """

    def __init__(self, total_steps: int, batch_size: int, every_seconds: float, clock=time.monotonic):
        self.total_steps, self.batch_size, self.every_seconds = total_steps, batch_size, every_seconds
        self.clock = clock
        self._began = clock()
        self._first = None  # (step, time) of the first line: the rate and time left count from there
        self._last = None  # (step, time) of the previous line

    def due(self, step: int) -> bool:
        """True at the first step seen, at the last step, and `every_seconds` after the previous line."""
        return self._last is None or step >= self.total_steps or self.clock() - self._last[1] >= self.every_seconds

    def line(self, step: int, values: Dict[str, float], now: Optional[float] = None) -> str:
        """The line for `step` (a train step count, 1-based) with `values`; remembers it as the previous line."""
        now = self.clock() if now is None else now
        parts = [f"step {step}/{self.total_steps} ({100 * step / self.total_steps:.0f}%)"]
        # The names FORMATS knows first, in its order, then the others as logged.
        names = [name for name in FORMATS if name in values] + [name for name in values if name not in FORMATS]
        parts += [_value(name, float(values[name])) for name in names]
        if self._last is None:
            parts.append(f"first step {now - self._began:.1f} s")
            self._first = (step, now)
        else:
            (last_step, last_time), (first_step, first_time) = self._last, self._first
            if now > last_time:
                parts.append(f"{(step - last_step) * self.batch_size / (now - last_time):.0f} images/s")
            if step >= self.total_steps:
                parts.append(f"took {duration(now - self._began)}")
            elif now > first_time and step > first_step:
                left = (self.total_steps - step) * (now - first_time) / (step - first_step)
                parts.append(f"ETA {duration(left)}")
        self._last = (step, now)
        return "  ".join(parts)
