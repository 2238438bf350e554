"""The loop every converter shares: workers read and check inputs, this process writes the records.

A converter lists its inputs, cuts them into tasks and names a worker function that turns a task
into outcomes (`outcomes.py`): `Converted` faces, `ConvertedPair`s, or `Skipped` inputs.
`write_outcomes` runs the workers on every core, writes the records in input order into atomic
shards, reports progress and returns the summary. If nothing at all converts, it raises and
writes nothing.

Example:
    >>> worker = functools.partial(image_folder.read_folder_images, max_pixels=MAX_PIXELS)
    >>> summary = write_outcomes(parallel.chunked(images, 64), worker, total=len(images), kind="faces",
    ...                          options=OutputOptions("out"))
"""

import collections
import dataclasses
import time
from typing import Callable, Iterable, Optional

from face_data.conversion.attributes import AttributeTable
from face_data.conversion.outcomes import Converted, ConvertedPair, ConvertedTemplateFace, Skipped
from face_data.conversion.parallel import available_cores, map_in_order
from face_data.conversion.progress import Progress
from face_data.conversion.summary import ConversionSummary
from face_data.records.features import FaceFeatures, PairFeatures

# The record contract and the shards load TensorFlow (seconds): `write_outcomes` imports them, so that
# a converter refuses its input (a missing folder, a bad pairs file) before TensorFlow loads.

# Below this many inputs a worker pool costs more to start than it saves.
PARALLEL_FROM_INPUTS = 1000


@dataclasses.dataclass(frozen=True)
class OutputOptions:
    """Where and how records are written; shared by every converter and the CLI."""

    output_dir: str
    prefix: Optional[str] = None  # default: the kind of record, "faces" or "pairs"
    num_shards: Optional[int] = None  # default: one per 5000 records
    workers: Optional[int] = None  # default: every core from 1000 inputs on (see write_outcomes), else one
    overwrite: bool = False
    show_progress: bool = True
    face_features: FaceFeatures = FaceFeatures()
    pair_features: PairFeatures = PairFeatures()
    attributes: Optional[AttributeTable] = None  # attributes of each face (--attributes CSV)


def _example(outcome, options: OutputOptions):
    from face_data.records import contract

    if isinstance(outcome, ConvertedPair):
        return contract.make_pair_example(outcome.image_a, outcome.image_b, outcome.is_same, outcome.label_a,
                                         outcome.label_b, options.pair_features, outcome.source, outcome.fold)
    if isinstance(outcome, ConvertedTemplateFace):
        return contract.make_template_face_example(outcome.image, outcome.template, outcome.media,
                                                  outcome.detector_score, outcome.image_name, source=outcome.source)
    attributes = options.attributes.lookup(outcome.label, outcome.source) if options.attributes else None
    return contract.make_face_example(outcome.image, outcome.label, options.face_features, outcome.source, attributes)


def write_outcomes(tasks: Iterable, worker: Callable, total: int, kind: str, options: OutputOptions,
                   skipped_before: Iterable[Skipped] = (), parallel_from: int = PARALLEL_FROM_INPUTS
                   ) -> ConversionSummary:
    """Runs `worker` on every task and writes its outcomes; `skipped_before` are inputs already left out.

    `total` is the number of inputs (for progress and the default shard count); `kind` is "faces"
    or "pairs"; from `parallel_from` inputs on, the workers run on every core unless
    `options.workers` says how many. Raises ValueError, leaving the output folder untouched, if no
    record was written.
    """
    from face_data.records import contract
    from face_data.records.shards import ShardedRecordWriter, default_num_shards

    start = time.monotonic()
    summary = ConversionSummary(kind=kind, skipped=list(skipped_before))
    labels = collections.Counter()
    # Inputs skipped while listing count from the start, as in the summary.
    progress = Progress(total, kind, enabled=options.show_progress, skipped=len(summary.skipped))
    writer = ShardedRecordWriter(options.output_dir, options.prefix or kind,
                                 options.num_shards or default_num_shards(total), options.overwrite)
    workers = options.workers or (available_cores() if total >= parallel_from else 1)
    with writer:
        for outcomes in map_in_order(worker, tasks, workers):
            written_before, skipped_before_task = writer.written, len(summary.skipped)
            for outcome in outcomes:
                if isinstance(outcome, Skipped):
                    summary.skipped.append(outcome)
                    continue
                try:
                    serialized = _example(outcome, options).SerializeToString()
                except contract.RecordError as error:
                    summary.skip(outcome.source, "bad record", str(error))
                    continue
                writer.write(serialized)
                for change in outcome.changes:
                    summary.note(change)
                summary.noticed.extend(outcome.notices)
                if isinstance(outcome, Converted):
                    labels[contract.normalize_label(outcome.label)] += 1
            progress.advance(writer.written - written_before, len(summary.skipped) - skipped_before_task)
        summary.written, summary.seconds = writer.written, time.monotonic() - start
        if writer.written == 0:
            # Raising inside the writer discards its temporary shards: nothing is left behind.
            raise ValueError(f"no {kind} record could be written, so nothing was:\n{summary.format()}")
    progress.finish()
    summary.shards = writer.paths
    if kind == "faces":
        summary.identities = len(labels)
        singles = sum(count == 1 for count in labels.values())
        if singles:
            summary.note("identities with a single image (kept)", singles)
    return summary
