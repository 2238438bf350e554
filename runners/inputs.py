"""Checks that the pipeline's input folders hold records before a local run starts (after `demo_data.prepare`).

Local folders only, read with `os` and `glob` (no TensorFlow: a refusal answers at once); remote
inputs are listed by the cluster's components.
"""

import glob
import os

from face_data.conversion.files import not_a_file
from configs import PipelineConfig
from configs.base import is_remote


class InputDataError(ValueError):
    """Input data the pipeline cannot use, found before any component runs; the message names the config key."""


def refuse_missing_input(config: PipelineConfig) -> None:
    """Raises InputDataError if `data.input_base` is missing and nothing is configured to make it."""
    if config.data.synthetic is None:
        raise InputDataError(
            f"data.input_base: {config.data.input_base} does not exist; convert your faces there "
            "(docs/data.md) or configure data.synthetic"
        )


def check_before_run(config: PipelineConfig) -> None:
    """The refusals a runner can make before it writes anything, even its lock: input that cannot be
    made, and the folders of input that exists (`check_input_data`; ImportExampleGen checks every
    record). Synthetic faces still to be made (`demo_data`) are checked once they are."""
    data = config.data
    if not is_remote(data.input_base) and not data.input_base.exists():
        refuse_missing_input(config)
        return
    check_input_data(config)


def _input_files(location, file_pattern: str, key: str) -> list:
    # The files ImportExampleGen will read: input_base joined with the pattern, as it globs them.
    if not os.path.isdir(location):
        raise InputDataError(f"{key}.input_base: {location} is not a folder of records")
    # include_hidden: ExampleGen's glob (TensorFlow's) reads files starting with "." too.
    paths = sorted(glob.glob(os.path.join(glob.escape(str(location)), file_pattern), include_hidden=True))
    if not paths:
        raise InputDataError(f"{key}.input_base: {location} holds no file matching {key}.file_pattern "
                             f"{file_pattern!r}")
    # ImportExampleGen would fail on these deep inside Beam; name them all now.
    unreadable = [f"{path}: {not_a_file(path)}" for path in paths if not_a_file(path)]
    if unreadable:
        raise InputDataError(f"{key}.input_base: {len(unreadable)} of the {len(paths)} entries matching "
                             f"{key}.file_pattern {file_pattern!r} are not record files:\n  "
                             + "\n  ".join(unreadable)
                             + f"\nRemove or rename them, or narrow {key}.file_pattern.")
    return paths


def check_input_data(config: PipelineConfig) -> None:
    """Checks that the local input folders exist and hold record files; raises InputDataError naming the key.

    Only this, and at once, before any component runs. The records themselves are checked by
    ImportExampleGen in its Beam job, in parallel where it runs (components/checked_example_gen/):
    a bad record stops the run there, naming its file and record, before anything reads it.
    Remote inputs (gs://...) are listed only by the cluster's components.
    """
    data, sets = config.data, config.evaluator.pairs
    if not is_remote(data.input_base):
        _input_files(data.input_base, data.file_pattern, "data")
    for name, pairs in sets.items():
        if not is_remote(pairs.input_base):
            _input_files(pairs.input_base, pairs.file_pattern, f"evaluator.pairs.{name}")
