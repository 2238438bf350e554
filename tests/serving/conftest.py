"""The serving tests' model: the one the session's tiny run pushed (tests/conftest.py `tiny_run`)."""

import os

import pytest


@pytest.fixture(scope="session")
def model_dir(tiny_run):
    """The tiny run's pushed model folder (`<serving_dir>/<model_name>`), newest version inside."""
    config, _ = tiny_run
    return os.path.join(config.pusher.serving_dir, config.pusher.model_name)
