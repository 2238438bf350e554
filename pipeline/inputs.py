"""Checks the pipeline's input records before a local run starts (after `demo_data.prepare`)."""

import hashlib
import json
import os
from pathlib import Path

import tensorflow as tf

from face_data import reading
from face_data.files import not_a_file
from face_data.records import FaceFeatures, RecordError
from configs import PipelineConfig
from configs.base import is_remote


# Fingerprints of the input file sets that passed the check in a run_root: a re-run skips the decode.
CHECKED_INPUTS = "checked-inputs.json"


class InputDataError(ValueError):
    """Input data the pipeline cannot use, found before any component runs; the message names the
    config key, or each bad file and record."""


def refuse_missing_input(config: PipelineConfig) -> None:
    """Raises InputDataError if `data.input_base` is missing and nothing is configured to make it."""
    if config.data.synthetic is None:
        raise InputDataError(
            f"data.input_base: {config.data.input_base} does not exist; convert your faces there "
            "(README.md, 'Bring your own faces') or configure data.synthetic"
        )


def check_before_run(config: PipelineConfig) -> None:
    """The refusals a runner can make before it writes anything, even its lock: input that cannot be
    made, and every record of input that exists (`check_input_data`). Synthetic faces still to be
    made (`demo_data`) are checked by `check_input_data` once they are."""
    data = config.data
    if not is_remote(data.input_base) and not data.input_base.exists():
        refuse_missing_input(config)
        return
    check_input_data(config)


def _input_files(location, file_pattern: str, key: str) -> list:
    # The files ImportExampleGen will read: input_base joined with the pattern, as it globs them.
    if not tf.io.gfile.isdir(str(location)):
        raise InputDataError(f"{key}.input_base: {location} is not a folder of records")
    paths = sorted(tf.io.gfile.glob(os.path.join(str(location), file_pattern)))
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
    """Reads every local input record and decodes its image, once per set of files.

    Run before any component: a truncated file, a record without label or image, or an image that
    does not decode (or is a decompression bomb) would otherwise stop ImportExampleGen or Transform
    with a Beam traceback naming neither file nor record, after minutes of work. Raises
    InputDataError naming the config key, or each bad file and record.
    Files that passed before in this `run_root`, with the same size, modification time and feature
    names, are not read again (`CHECKED_INPUTS`), so a re-run does not pay the decode twice.
    Remote inputs (gs://...) are read only by the cluster's components and are not checked here.
    """
    data, sets = config.data, config.evaluator.pairs
    try:
        if not is_remote(data.input_base):
            features = FaceFeatures(data.image_feature, data.label_feature)
            _check_once(config.run_root, _input_files(data.input_base, data.file_pattern, "data"),
                        lambda paths: reading.check_face_files(paths, features),
                        "faces", features.image, features.label)
        for name, pairs in sets.items():
            if not is_remote(pairs.input_base):
                _check_once(config.run_root,
                            _input_files(pairs.input_base, pairs.file_pattern, f"evaluator.pairs.{name}"),
                            reading.check_pair_files, "pairs")
    except RecordError as error:
        raise InputDataError(f"{error}\nNo component ran. Convert the faces again with `python -m face_data` "
                             "(it skips bad images and lists them) or remove these files.") from error


def _check_once(run_root, paths, check, *settings) -> None:
    """`check(paths)`, unless these very files passed it before under `run_root`."""
    if is_remote(run_root):
        check(paths)
        return
    # A file rewritten in place changes its size or its modification time: it is checked again.
    stats = [os.stat(path) for path in paths]
    files = [(path, stat.st_size, stat.st_mtime_ns) for path, stat in zip(paths, stats)]
    fingerprint = hashlib.sha256(json.dumps([files, settings]).encode()).hexdigest()
    record = Path(run_root) / CHECKED_INPUTS
    passed = json.loads(record.read_text()) if record.exists() else []
    if fingerprint in passed:
        return
    check(paths)
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_name(CHECKED_INPUTS + ".partial")
    partial.write_text(json.dumps(passed[-19:] + [fingerprint]))
    os.replace(partial, record)
