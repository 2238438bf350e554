"""One line for every failure a user can cause, and for Ctrl-C: the command lines' exit statuses.

A refused input (ValueError, OSError, LookupError: a file, a record or a key the message names)
ends the command with `<prog>: error: <message>` on stderr and status 1; Ctrl-C with
`<prog>: interrupted` and status 130 (128 + SIGINT, as shells report it). Python's traceback
would bury the message under lines about the code, which the user cannot act on; `--verbose`
keeps it (the message is printed after it).

Example:
    >>> def command():
    ...     raise ValueError("pairs.tsv line 3: expected two image paths, got 1 fields")
    >>> run("python -m serving", command)        # prints the line, returns 1
    python -m serving: error: pairs.tsv line 3: expected two image paths, got 1 fields
    1
"""

import _thread
import contextlib
import signal
import sys
import threading
import traceback
from typing import Callable, Optional, Tuple, Type

from console import quiet

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2  # argparse's
EXIT_INTERRUPTED = 130
# How long after a Ctrl-C Python ignored it is delivered again: a callback's return is far quicker.
REDELIVERY_S = 0.05
# What a user's input can raise; FileNotFoundError, PermissionError... are OSErrors, KeyError a LookupError.
REFUSALS: Tuple[Type[BaseException], ...] = (ValueError, OSError, LookupError)


def message(error: BaseException) -> str:
    """The error as the line's text: an OSError as `path: reason` (Python's own adds `[Errno N]`)."""
    if isinstance(error, OSError) and error.strerror and error.filename is not None:
        return f"{error.filename}: {error.strerror}"
    if isinstance(error, KeyError) and len(error.args) == 1:
        return str(error.args[0])  # str(KeyError) quotes its message
    return str(error) or type(error).__name__


def run(prog: str, command: Callable[[], Optional[int]],
        refusals: Tuple[Type[BaseException], ...] = REFUSALS, interrupted: str = "") -> int:
    """Runs `command` and returns the exit status: its own (None is 0), or 1 after one line naming a
    refused input, or 130 after one line on Ctrl-C (`interrupted`, if given, says what to do next)."""
    try:
        with _ctrl_c_never_lost():
            return command() or EXIT_OK
    except BaseException as error:  # noqa: BLE001 - sorted below; anything else is raised again
        if _interrupted(error):
            return _fail(f"{prog}: interrupted" + (f"; {interrupted}" if interrupted else ""), EXIT_INTERRUPTED)
        if isinstance(error, refusals):
            return _fail(f"{prog}: error: {message(error)}", EXIT_REFUSED)
        raise


@contextlib.contextmanager
def _ctrl_c_never_lost():
    """Ctrl-C raised where Python cannot raise it (a garbage-collection callback such as JAX's, a
    finalizer) is printed as "Exception ignored" and the command goes on: deliver it again a moment
    later, from another thread, once the callback has returned (raised at once, it would land in
    this hook and be ignored again; landing in a callback again, it comes back here). A command
    that ends before then keeps its own status."""
    previous = sys.unraisablehook
    redeliveries = []

    def hook(unraisable):
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            return previous(unraisable)
        timer = threading.Timer(REDELIVERY_S, _thread.interrupt_main, args=(signal.SIGINT,))
        timer.daemon = True
        redeliveries.append(timer)
        timer.start()

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
        for timer in redeliveries:
            timer.cancel()


def _interrupted(error: BaseException) -> bool:
    """A Ctrl-C, or an error raised because of one: Beam re-raises a KeyboardInterrupt in a step as
    RuntimeError("KeyboardInterrupt [while running '<step>']"), the interrupt as its cause."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _fail(line: str, status: int) -> int:
    if quiet.verbose():
        traceback.print_exc()
    print(line, file=sys.stderr, flush=True)
    return status
