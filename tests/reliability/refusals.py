"""What a refusal of bad input must look like to a user, shared by the reliability tests."""

import subprocess


def assert_refused(result: subprocess.CompletedProcess, *messages: str) -> None:
    """Exit 1 with every one of `messages` on stderr, in a clear error rather than a traceback."""
    assert result.returncode == 1, result.stderr[-5000:]
    for message in messages:
        assert message in result.stderr, result.stderr[-5000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
