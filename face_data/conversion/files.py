"""Entries of a folder that look like files but cannot be read as one, said in words.

A FIFO named `a.jpg` would block its reader for ever and a dangling link fails only when opened,
so the converters, the input check and `serving embed` ask this first. No TensorFlow here.

Example:
    >>> not_a_file("faces/a.jpg")      # made with os.mkfifo
    'a pipe, socket or device: nothing to read'
    >>> not_a_file("faces/1.png") is None
    True
"""

import os
from typing import Optional


def not_a_file(path: str) -> Optional[str]:
    """Why `path` cannot be read as a regular file (following links), or None if it can."""
    if os.path.isfile(path):
        return None
    if os.path.islink(path) and not os.path.exists(path):
        return f"a link to {os.readlink(path)}, which does not exist"
    if os.path.isdir(path):
        return "a folder"
    if not os.path.lexists(path):
        return "no such file"
    return "a pipe, socket or device: nothing to read"
