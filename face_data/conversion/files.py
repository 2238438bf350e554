"""Entries of a folder that look like files but cannot be read as one, said in words.

A FIFO named `a.jpg` would block its reader for ever, and a dangling link or a link loop fails only
when opened, so the converters, the input check and `serving` ask this first. No TensorFlow here.

Example:
    >>> not_a_file("faces/a.jpg")      # made with os.mkfifo
    'a pipe, socket or device: nothing to read'
    >>> not_a_file("faces/b.jpg")      # b.jpg -> c.jpg -> b.jpg
    'a link loop (b.jpg -> c.jpg leads back to itself)'
    >>> not_a_file("faces/1.png") is None
    True
"""

import errno
import os
import stat
from typing import Optional

FOLDER = "a folder"


def not_a_file(path: str) -> Optional[str]:
    """Why `path` cannot be read as a regular file (following links), or None if it can."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return _unreachable(path, error)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return FOLDER
    return "a pipe, socket or device: nothing to read"


def _unreachable(path: str, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        link = f"{os.path.basename(path)} -> {os.readlink(path)} " if os.path.islink(path) else ""
        return f"a link loop ({link}leads back to itself)"
    if os.path.islink(path):
        return f"a link to {os.readlink(path)}, which does not exist"
    if error.errno == errno.ENOENT:
        return "no such file"
    return f"unreadable: {error.strerror}"
