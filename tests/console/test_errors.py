"""console/errors.py: a refusal or Ctrl-C ends a command in one line with its documented exit status."""

import gc
import signal
import time

import pytest

from console import errors


def _raise(error):
    def command():
        raise error
    return command


@pytest.mark.parametrize("error, line", [
    (ValueError("pairs.tsv line 3: expected two image paths, got 1 fields"),
     "prog: error: pairs.tsv line 3: expected two image paths, got 1 fields"),
    (FileNotFoundError(2, "No such file or directory", "faces/a.jpg"), "prog: error: faces/a.jpg: No such file or directory"),
    (KeyError("threshold: expected a number"), "prog: error: threshold: expected a number"),
    (ConnectionError("kubeflow.kfp.host: cannot reach x"), "prog: error: kubeflow.kfp.host: cannot reach x"),
])
def test_a_refusal_is_one_line_and_status_1(capsys, monkeypatch, error, line):
    monkeypatch.delenv("ARCFACE_VERBOSE", raising=False)
    assert errors.run("prog", _raise(error)) == errors.EXIT_REFUSED == 1
    assert capsys.readouterr() == ("", line + "\n")


def test_ctrl_c_is_one_line_and_status_130(capsys, monkeypatch):
    monkeypatch.delenv("ARCFACE_VERBOSE", raising=False)
    assert errors.run("prog", _raise(KeyboardInterrupt())) == errors.EXIT_INTERRUPTED == 130
    assert capsys.readouterr() == ("", "prog: interrupted\n")


@pytest.fixture
def ctrl_c_answered():
    """SIGINT answered with KeyboardInterrupt, as in a terminal: a test run in the background of a shell
    (`make test &`, CI) inherits it ignored (tests/reliability/signals.py)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_that_lands_in_a_gc_callback_still_ends_the_command(capsys, monkeypatch, ctrl_c_answered):
    monkeypatch.delenv("ARCFACE_VERBOSE", raising=False)
    went_on = []

    def ctrl_c_in_the_callback(phase, info):  # as SIGINT landing in JAX's _xla_gc_callback does
        if phase == "start":
            raise KeyboardInterrupt

    def command():
        gc.callbacks.append(ctrl_c_in_the_callback)
        try:
            gc.collect()  # Python prints "Exception ignored" here and goes on
        finally:
            gc.callbacks.remove(ctrl_c_in_the_callback)
        for _ in range(100):
            time.sleep(0.01)
            went_on.append(True)
        return 0

    assert errors.run("prog", command) == 130
    assert capsys.readouterr() == ("", "prog: interrupted\n")
    assert len(went_on) < 50  # ended at once, not after its work


def test_an_error_raised_because_of_ctrl_c_is_an_interruption(capsys, monkeypatch):
    monkeypatch.delenv("ARCFACE_VERBOSE", raising=False)

    def beam_step():  # how Beam re-raises a KeyboardInterrupt in a step
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("KeyboardInterrupt [while running 'Run[Trainer]']") from interrupt

    assert errors.run("prog", beam_step, interrupted="run it again to resume") == 130
    assert capsys.readouterr() == ("", "prog: interrupted; run it again to resume\n")


def test_a_bug_is_not_a_refusal_and_the_command_status_is_kept(monkeypatch):
    with pytest.raises(TypeError):
        errors.run("prog", _raise(TypeError("a bug: its traceback is what its reader needs")))
    assert errors.run("prog", lambda: 3) == 3 and errors.run("prog", lambda: None) == 0


def test_verbose_keeps_the_traceback_before_the_line(capsys, monkeypatch):
    monkeypatch.setenv("ARCFACE_VERBOSE", "1")
    assert errors.run("prog", _raise(ValueError("bad key"))) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and err.endswith("prog: error: bad key\n")
