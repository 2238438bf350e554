"""A quiet start for the command lines: the frameworks' start-up lines and warnings are dropped unless asked for.

Importing TensorFlow 2.21 prints 5-9 lines on stderr (oneDNN, CUDA stubs, `cpu_feature_guard`,
`failed call to cuInit`) from C++ before its log level applies, so `TF_CPP_MIN_LOG_LEVEL` alone
cannot hide them. `start()` sets that variable (for TF's later INFO and WARNING lines, here and in
subprocesses) and arranges that the first `import tensorflow`, by whichever module, runs with
stderr captured at the file-descriptor level; the known start-up lines are dropped and anything
else captured is written out as it came. It also sets the Python loggers of the frameworks (absl's,
through which TFX logs, and TensorFlow's deprecation notices) to errors only: their warnings are
about the frameworks' own insides (ZetaSQL fallbacks, deprecated arguments), nothing a user can
act on. LiteRT's C code announces its XNNPACK delegate on stderr, with no option to stop it:
`hidden_noise()` drops that line around the call that prints it. `filtered_stream()` filters what
worker processes write. With `--verbose` on the command
line (or `ARCFACE_VERBOSE=1`) nothing is hidden.

Usage, first in an entry module, before anything that imports TensorFlow:

    from console import quiet

    quiet.start()
"""

import argparse
import contextlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile
import threading

# Set before TensorFlow loads, for every command and its subprocesses: TensorFlow turns its oneDNN
# kernels on by default only on CPUs with AVX-512-class features, and without them the backbones'
# grouped convolutions take a form about half as fast (arcface_module/backbones/blocks.py).
# Recorded in each training run's kernels.json. Setting the variable yourself overrides this.
TENSORFLOW_ENVIRONMENT = {"TF_ENABLE_ONEDNN_OPTS": "1"}

VERBOSE_FLAG = "--verbose"
VERBOSE_HELP = "show the frameworks' start-up lines, warnings and C++ log (hidden by default)"
# C++ INFO/WARNING lines (absl format: "I0000 00:00:1796.123 1584 port.cc:153] ..."), absl's
# banner, cpu_feature_guard's second line, the "no GPU here" errors of a machine without one, and
# LiteRT's line at its first tensor allocation.
NOISE = re.compile(
    r"^[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
    r"|^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"
    r"|^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$"
    r"|^E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] .*(cuInit|Unable to register cu\w+ factory)"
    r"|^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$"
)
# The level of the frameworks' Python loggers by default; `--verbose` leaves them at WARNING. Besides
# absl's: TensorFlow's deprecation notices, and Beam's (the warnings its worker processes forward).
QUIET_LOG_LEVEL = "error"
FRAMEWORK_LOGGERS = ("tensorflow", "apache_beam")


def verbose() -> bool:
    return VERBOSE_FLAG in sys.argv[1:] or os.environ.get("ARCFACE_VERBOSE") == "1"


def start() -> None:
    """Hides the frameworks' start-up lines and warnings for this process, unless --verbose; safe to call twice.

    Also sets `TENSORFLOW_ENVIRONMENT`'s variables where not set already, --verbose or not.
    """
    for name, value in TENSORFLOW_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if verbose():
        os.environ["ARCFACE_VERBOSE"] = "1"  # for the worker processes, whose command line has no --verbose
        return
    set_framework_log_level(QUIET_LOG_LEVEL)
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietImport) for f in sys.meta_path):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # later INFO and WARNING lines of TF's C++
    sys.meta_path.insert(0, _QuietImport())


def set_framework_log_level(level: str) -> None:
    """Sets the level ("debug", "info", "warning", "error") of absl's logger (TFX's), TensorFlow's and Beam's."""
    from absl import logging as absl_logging  # absl, not TensorFlow: a few milliseconds

    absl_logging.set_verbosity(level)
    for name in FRAMEWORK_LOGGERS:
        logging.getLogger(name).setLevel(level.upper())


def drop_noise(text: str) -> str:
    """`text` without the known start-up lines (TensorFlow's, LiteRT's)."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOISE.match(line))


@contextlib.contextmanager
def hidden_noise():
    """While inside, start-up lines written to stderr by C or C++ code are dropped, unless --verbose.

    Example:
        >>> with quiet.hidden_noise():
        ...     interpreter.allocate_tensors()  # LiteRT: "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
    """
    if verbose():
        yield
        return
    with _filtered_stderr():
        yield


@contextlib.contextmanager
def filtered_stream():
    """While inside, stderr (fd 2) of this process and of those it starts passes through the filter line
    by line, as it comes; unless --verbose.

    For Beam's worker processes (`beam.running_mode: multi_processing`): they load TensorFlow
    without `start()`, writing its start-up lines to the stderr they inherit.
    """
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward():
        with os.fdopen(read_end, "rb") as lines, os.fdopen(os.dup(saved), "wb", buffering=0) as out:
            for line in lines:
                if not NOISE.match(line.decode("utf-8", "replace")):
                    out.write(line)

    forwarder = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe ends when the last process writing to it has ended
        os.close(saved)
        forwarder.join(timeout=5)


@contextlib.contextmanager
def _filtered_stderr():
    """Captures file descriptor 2 (C++ writes there, not to sys.stderr), then writes out what is not noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            sys.stderr.write(drop_noise(captured.read().decode("utf-8", "replace")))
            sys.stderr.flush()


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as usual, and runs its module code inside `_filtered_stderr`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: TensorFlow's start-up happens once per process
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def quiet_exec_module(module):
            with _filtered_stderr():
                exec_module(module)
                # The first look at the devices logs "failed call to cuInit" on a machine without a GPU:
                # here rather than at the first op. It does not initialise the runtime, so a
                # multi-worker strategy can still be created afterwards.
                module.config.list_physical_devices()

        spec.loader.exec_module = quiet_exec_module
        return spec


def add_flag(parser) -> None:
    """Adds --verbose to an argparse parser and to each of its subcommands (it may come anywhere)."""
    parsers = [parser]
    for action in parser._actions:  # argparse lists subcommands only among its actions
        if isinstance(action, argparse._SubParsersAction):
            parsers += action.choices.values()
    for each in parsers:
        each.add_argument(VERBOSE_FLAG, action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
