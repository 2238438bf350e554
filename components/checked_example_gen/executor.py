"""ImportExampleGen's executor, checking every record inside its own Beam job.

Each input file is read by one worker, record by record (so each record keeps its file and index
for the message), and each record is checked as the pipeline will read it
(`face_data.records.reading.check_face_record` / `check_pair_record`: the contract, an image that decodes
within the pixel limit). Good records go on to ExampleGen's split and write, as ImportExampleGen
does; problems, and which label types the set holds, are summed up in the same job. After the job,
any problem fails the execution with one message naming each file and record (the first
`PROBLEMS_SHOWN`, the rest counted): its output is never published, so nothing downstream runs.
The check runs where ExampleGen's Beam job runs (the direct runner's workers, or Dataflow's), in
parallel over the input files.

Face splits are written in a random order fixed by the records and `shuffle_seed` (shuffle.py),
the same on every runner; pair splits keep TFX's write (their order is the sets' own).
"""

import json
import os
import uuid
from typing import Any, Dict, Iterator, List

import apache_beam as beam
import tensorflow as tf
from google.protobuf import json_format, struct_pb2
from tfx.components.example_gen import write_split
from tfx.components.example_gen.import_example_gen import executor as import_executor
from tfx.components.util import examples_utils
from tfx.types import artifact_utils
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import standard_component_specs

from components.checked_example_gen.errors import InputCheckFailed
from components.checked_example_gen.shuffle import WriteShuffled
from face_data.records import contract, reading
from face_data.conversion.images import ImageRejected

FACES, PAIRS = "face", "pair"  # what a set's records are; names the kind in messages
PROBLEMS, LABELS = "problems", "labels"  # the check's side outputs
SUMMARY_DIR = "input-check"  # in the execution's temporary folder
ADVICE = ("\nExampleGen stopped: no component after it ran on these records. Convert the faces again with "
          "`python -m face_data` (it skips bad images and lists them) or remove these files.")


def check_settings(custom_config_json: str) -> Dict[str, Any]:
    """The check's settings (kind, feature names, max_pixels) from ExampleGen's `custom_config` property."""
    config = example_gen_pb2.CustomConfig()
    json_format.Parse(custom_config_json, config)
    settings = struct_pb2.Struct()
    config.custom_config.Unpack(settings)
    return json_format.MessageToDict(settings)


class CheckFile(beam.DoFn):
    """A TFRecord file -> its good serialized records; (position, message) of each problem and
    (label type, position) of each face label to side outputs. A position is (path, record index)."""

    def __init__(self, settings: Dict[str, Any]):
        self._settings = settings

    def _check(self, source: str, serialized: bytes):
        settings = self._settings
        max_pixels = int(settings["max_pixels"])
        if settings["kind"] == PAIRS:
            return reading.check_pair_record(source, serialized, contract.PairFeatures(), max_pixels)
        features = contract.FaceFeatures(settings["image_feature"], settings["label_feature"])
        return reading.check_face_record(source, serialized, features, max_pixels)

    def process(self, path: str) -> Iterator:
        index = 0
        try:
            for source, serialized in reading.read_serialized([path]):
                try:
                    record = self._check(source, serialized)
                except contract.RecordError as error:
                    yield beam.pvalue.TaggedOutput(PROBLEMS, ((path, index), str(error)))
                except ImageRejected as error:
                    yield beam.pvalue.TaggedOutput(PROBLEMS, ((path, index), f"{source}: {error}"))
                else:
                    if self._settings["kind"] == FACES:
                        label_type = "bytes" if isinstance(record.label, bytes) else "int64"
                        yield beam.pvalue.TaggedOutput(LABELS, (label_type, (path, index)))
                    yield serialized
                index += 1
        except contract.RecordError as error:  # a truncated file: the records before it were checked
            yield beam.pvalue.TaggedOutput(PROBLEMS, ((path, index), str(error)))


class FirstAndCount(beam.CombineFn):
    """(smallest position, count) of the positions of one key."""

    def create_accumulator(self):
        return None, 0

    def add_input(self, accumulator, position):
        first, count = accumulator
        return (position if first is None else min(first, tuple(position))), count + 1

    def merge_accumulators(self, accumulators):
        firsts = [tuple(first) for first, _ in accumulators if first is not None]
        return (min(firsts) if firsts else None), sum(count for _, count in accumulators)

    def extract_output(self, accumulator):
        return accumulator


def refusal(summary: Dict[str, Any], kind: str) -> str:
    """The message for a check's summary, or "" if its records are all usable."""
    shown = [message for _, message in summary["shown"]]
    problems = summary["problems"]
    label_types = summary["label_types"]
    if len(label_types) > 1:
        # The minority type's first record is the one to look at; the majority's first is the reference.
        (minority, (position, count)), (majority, (reference, _)) = sorted(label_types.items(),
                                                                             key=lambda item: item[1][1])
        problems += count
        shown.append(f"{position[0]} record {position[1]}: label of type {minority} ({count} record(s)), where "
                     f"{reference[0]} record {reference[1]} has type {majority}; a file set holds one label type")
    return reading.problems_message(problems, shown[:reading.PROBLEMS_SHOWN], kind) if problems else ""


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def CheckedRecords(pipeline: beam.Pipeline, exec_properties: Dict[str, Any], split_pattern: str,  # noqa: N802
                   summary_dir: str) -> beam.pvalue.PCollection:
    """The records (tf.Examples) of the files matching `split_pattern` that pass the check; a JSON
    summary of the problems goes to a file in `summary_dir`."""
    settings = check_settings(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
    pattern = os.path.join(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    paths = sorted(fileio.glob(pattern))
    checked = (pipeline
               | "Files" >> beam.Create(paths)
               | "OneFilePerWorker" >> beam.Reshuffle()  # files are read where the job runs, in parallel
               | "Check" >> beam.ParDo(CheckFile(settings)).with_outputs(PROBLEMS, LABELS, main="records"))
    problems = checked[PROBLEMS]
    count = problems | "CountProblems" >> beam.combiners.Count.Globally()
    shown = problems | "FirstProblems" >> beam.combiners.Top.Smallest(reading.PROBLEMS_SHOWN)
    label_types = checked[LABELS] | "LabelTypes" >> beam.CombinePerKey(FirstAndCount())

    def summarise(_, count, shown, label_types):
        return json.dumps({"problems": count, "shown": shown, "label_types": dict(label_types)})

    _ = (pipeline
         | "One" >> beam.Create([None])
         | "Summarise" >> beam.Map(summarise, beam.pvalue.AsSingleton(count), beam.pvalue.AsSingleton(shown),
                                   beam.pvalue.AsList(label_types))
         | "WriteSummary" >> beam.io.WriteToText(os.path.join(summary_dir, uuid.uuid4().hex),
                                                 shard_name_template="", num_shards=1))
    # As ImportExampleGen gives them to ExampleGen's split (by a hash of the label) and write.
    return checked["records"] | "ToTFExample" >> beam.Map(tf.train.Example.FromString)


class Executor(import_executor.Executor):
    """ImportExampleGen's executor with the check of every record in its Beam job."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:  # noqa: N802 (TFX's name)
        return lambda exec_properties, split_pattern: CheckedRecords(  # noqa: E731
            exec_properties, split_pattern, self._summary_dir)

    def Do(self, input_dict: Dict[str, List], output_dict: Dict[str, List], exec_properties: Dict[str, Any]) -> None:
        self._summary_dir = os.path.join(self._get_tmp_dir(), SUMMARY_DIR, uuid.uuid4().hex)
        settings = check_settings(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
        kind = settings["kind"]
        if kind == FACES:
            self._write_shuffled(output_dict, exec_properties, int(settings["shuffle_seed"]))
        else:
            super().Do(input_dict, output_dict, exec_properties)
        messages = [refusal(summary, kind) for summary in _summaries(self._summary_dir)]
        fileio.rmtree(self._summary_dir)
        if any(messages):
            raise InputCheckFailed("\n".join(message for message in messages if message) + ADVICE)

    def _write_shuffled(self, output_dict: Dict[str, List], exec_properties: Dict[str, Any], seed: int) -> None:
        """BaseExampleGenExecutor.Do with WriteShuffled in place of TFX's WriteSplit (whose
        Reshuffle and runner-chosen shards give an order that depends on the runner)."""
        self._log_startup({}, output_dict, exec_properties)
        examples = artifact_utils.get_single_instance(output_dict[standard_component_specs.EXAMPLES_KEY])
        with self._make_beam_pipeline() as pipeline:
            splits = self.GenerateExamplesByBeam(pipeline, exec_properties)
            examples.split_names = artifact_utils.encode_split_names(list(splits))
            for name, records in splits.items():
                _ = records | f"WriteSplit[{name}]" >> WriteShuffled(
                    artifact_utils.get_split_uri([examples], name), seed)
        # As TFX's Do records them.
        payload_format = exec_properties.get(standard_component_specs.OUTPUT_DATA_FORMAT_KEY)
        if payload_format:
            examples_utils.set_payload_format(examples, payload_format)
        file_format = exec_properties.get(standard_component_specs.OUTPUT_FILE_FORMAT_KEY)
        if file_format:
            examples_utils.set_file_format(examples, write_split.to_file_format_str(file_format))


def _summaries(summary_dir: str) -> List[Dict[str, Any]]:
    summaries = []
    for path in sorted(fileio.glob(os.path.join(summary_dir, "*"))):
        with fileio.open(path) as file:
            summaries.extend(json.loads(line) for line in file.read().splitlines() if line.strip())
    return summaries

