"""Splits face records by identity: train and eval people never overlap.

`split_face_records` reads face TFRecords twice: once for the labels, to draw which identities go
to eval (`eval_fraction` of them, by `seed`), then to write `train/`, `eval/` and, if asked,
`holdout/`: `holdout_per_identity` images of every train identity that has more than that many,
for closed-set checks on people the model has seen. The pipeline can split by hashing the label
in ExampleGen instead; this is for data that should arrive already split.

Example:
    >>> summaries = split_face_records(glob.glob("data/faces/*.tfrecord"), "data/split", eval_fraction=0.25,
    ...                                holdout_per_identity=1)
    >>> {name: s.written for name, s in summaries.items()}
    {'train': 270, 'eval': 100, 'holdout': 30}
"""

import contextlib
import os
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from face_data.records import contract
from face_data.conversion.progress import Progress
from face_data.records.reading import read_face_records, read_serialized
from face_data.records.shards import ShardedRecordWriter, default_num_shards
from face_data.conversion.summary import ConversionSummary

SPLITS = ("train", "eval", "holdout")


def _sort_key(label: contract.Label):
    return (isinstance(label, bytes), label)


def assign_identity_splits(labels: Sequence[contract.Label], eval_fraction: float, holdout_per_identity: int = 0,
                           seed: int = 0) -> List[str]:
    """The split ("train", "eval" or "holdout") of each record, given the record labels in order.

    Example:
        >>> assign_identity_splits([0, 0, 1, 1, 2, 2], eval_fraction=1 / 3, holdout_per_identity=1)
        ['holdout', 'train', 'holdout', 'train', 'eval', 'eval']
    """
    if not 0 < eval_fraction < 1:
        raise ValueError(f"eval_fraction: expected a fraction strictly between 0 and 1, got {eval_fraction}")
    if holdout_per_identity < 0:
        raise ValueError(f"holdout_per_identity: expected >= 0, got {holdout_per_identity}")
    identities = sorted(set(labels), key=_sort_key)
    num_eval = round(eval_fraction * len(identities))
    if not 1 <= num_eval < len(identities):
        raise ValueError(f"eval_fraction {eval_fraction} of {len(identities)} identities leaves "
                         f"{num_eval} for eval and {len(identities) - num_eval} for train; both need at least one")
    rng = np.random.default_rng(seed)
    eval_identities = {identities[i] for i in rng.permutation(len(identities))[:num_eval]}
    splits = ["eval" if label in eval_identities else "train" for label in labels]
    positions: Dict[contract.Label, List[int]] = {}
    for position, label in enumerate(labels):
        positions.setdefault(label, []).append(position)
    for label in identities:  # sorted: the draws do not depend on the order records come in
        if label not in eval_identities and len(positions[label]) > holdout_per_identity > 0:
            for position in rng.choice(positions[label], holdout_per_identity, replace=False):
                splits[position] = "holdout"
    return splits


def split_face_records(paths: Sequence[str], output_dir: str, eval_fraction: float, holdout_per_identity: int = 0,
                       seed: int = 0, features: contract.FaceFeatures = contract.FaceFeatures(),
                       prefix: str = "faces", num_shards: Optional[int] = None, overwrite: bool = False,
                       show_progress: bool = True) -> Dict[str, ConversionSummary]:
    """Writes the records of `paths` into `output_dir/{train,eval[,holdout]}`; returns a summary per split.

    Each split gets `num_shards` shards (default: one per 5000 of its records).

    Every record is read and checked before anything is written: a truncated file or a record
    without a label raises RecordError naming the file and record, and the output stays as it was.
    """
    start = time.monotonic()
    labels = [record.label for _, record in read_face_records(paths, features)]
    if not labels:
        raise ValueError(f"no face record in {len(paths)} file(s): {list(paths)[:3]}")
    splits = assign_identity_splits(labels, eval_fraction, holdout_per_identity, seed)
    names = [name for name in SPLITS if name in splits]
    writers = {name: ShardedRecordWriter(os.path.join(output_dir, name), prefix,
                                         num_shards or default_num_shards(splits.count(name)), overwrite)
               for name in names}
    progress = Progress(len(labels), "split", enabled=show_progress)
    with contextlib.ExitStack() as stack:  # on any error every writer discards its temporary shards
        for writer in writers.values():
            stack.enter_context(writer)
        for split, (_, serialized) in zip(splits, read_serialized(paths)):
            writers[split].write(serialized)
            progress.advance(1)
    progress.finish()
    seconds = time.monotonic() - start
    return {name: ConversionSummary("faces", written=writers[name].written, shards=writers[name].paths,
                                    identities=len({label for label, split in zip(labels, splits) if split == name}),
                                    seconds=seconds)
            for name in names}
