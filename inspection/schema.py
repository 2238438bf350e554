"""Writes the schema SchemaGen infers from a run's statistics to a file, for review and import.

    python -m inspection.schema --config configs/local.yaml [--run RUN] [--output FILE]

The file (default: the config's `data.schema_file`) is what ImportSchemaGen then feeds
ExampleValidator and Transform on every run, so a change in the data (a label of another type, a
missing feature) is an anomaly instead of a new schema. The inference is TFX SchemaGen's own
executor on the run's StatisticsGen output (default: the newest run), the file is replaced whole.
"""

import argparse
import os
import tempfile
from pathlib import Path

from configs import ConfigError, load_config
from console import quiet
from inspection import metadata
from pipeline.nodes import STATISTICS_GEN

# TFX loads in seconds: the functions that need it import it, so that --help answers at once.

HEADER = (
    "# The reviewed schema of the face records (ImportSchemaGen; data.schema_file), first inferred by\n"
    "# SchemaGen from the statistics of run {run} of pipeline {pipeline}. Tighten it by hand after review;\n"
    "# refresh it with `python -m inspection.schema --config CONFIG` (docs/data.md, 'A reviewed schema').\n"
)


def _statistics(store, run):
    """The run's StatisticsGen output as a TFX artifact (its URI and split names)."""
    from tfx.types import standard_artifacts

    execution = metadata.run_executions(store, run).get(STATISTICS_GEN)
    # Transform writes statistics too (of its input and output): only StatisticsGen's are the records'.
    found = metadata.written_artifacts(store, [execution]).get("ExampleStatistics") if execution else None
    if not found:
        raise LookupError(f"run {run.name} has no statistics of the records: its {STATISTICS_GEN} did not complete")
    newest = max(found, key=lambda a: a.id)
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = newest.uri
    statistics.split_names = newest.properties["split_names"].string_value
    return statistics


def infer_schema_file(config, output: Path, run_name=None) -> str:
    """Infers the schema from run `run_name`'s statistics (the newest run if None) into `output`.

    Returns the run's name. The file is written beside `output` and renamed over it when complete.
    """
    from tfx.components.schema_gen import executor as schema_gen_executor
    from tfx.types import standard_artifacts, standard_component_specs

    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name, run_name)
    schema = standard_artifacts.Schema()
    with tempfile.TemporaryDirectory() as folder:
        schema.uri = folder
        schema_gen_executor.Executor().Do(
            {standard_component_specs.STATISTICS_KEY: [_statistics(store, run)]},
            {standard_component_specs.SCHEMA_KEY: [schema]},
            {standard_component_specs.INFER_FEATURE_SHAPE_KEY: 1},  # SchemaGen's default
        )
        inferred = Path(folder, schema_gen_executor.DEFAULT_FILE_NAME).read_text()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(HEADER.format(run=run.name, pipeline=config.pipeline_name) + inferred)
    os.replace(partial, output)
    return run.name


def main(argv=None):
    quiet.start()  # before TensorFlow loads: its start-up lines are hidden unless --verbose
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the pipeline config (YAML) whose runs to read")
    parser.add_argument("--run", help="the run whose statistics to infer from (default: the newest)")
    parser.add_argument("--output", type=Path, help="the schema file to write (default: data.schema_file)")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        output = args.output or config.data.schema_file
        if output is None:
            raise ConfigError("data.schema_file: expected a file to write (or --output), got none")
        run = infer_schema_file(config, Path(output), args.run)
    except (ConfigError, LookupError, FileNotFoundError, ConnectionError) as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    print(f"Schema inferred from run {run}: {output}")


if __name__ == "__main__":
    main()
