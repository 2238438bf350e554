"""What the interruption tests share."""

import signal


def answer_ctrl_c():
    """In a child before it starts (`preexec_fn`): SIGINT back to its default, which Python turns into
    KeyboardInterrupt. A test run in the background of a shell (`make test &`) inherits SIGINT
    ignored, as every background job does, and Python leaves a signal ignored at start-up ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
