"""The check's refusal, importable without TensorFlow, TFX or Beam (the runners catch it at start-up cost nil)."""

import re


class InputCheckFailed(ValueError):
    """Records ExampleGen refused: the message names each bad file and record.

    Beam re-raises it with " [while running '<step>']" appended; `message(error)` strips that.
    """


def message(error: InputCheckFailed) -> str:
    """The refusal as the executor wrote it, without what Beam appends on the way out."""
    return re.sub(r" \[while running '[^']*'\]$", "", str(error))
