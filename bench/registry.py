"""The benchmarks in the order they run, and what a benchmark is given when it runs."""

import dataclasses
import importlib
from typing import Dict

from bench.results import Result

# Name -> its module under bench/, which has NAME (the same name) and run(settings, context) ->
# Result; REQUIRES names earlier benchmarks whose results it reads. serving and face_alignment
# come after end_to_end to use the model it pushed. A module is imported when its benchmark runs
# (most load TensorFlow), so that `python -m bench --help` lists the names at once.
BENCHMARKS = {
    "trainer": "trainer",
    "trainer_peers": "peers",
    "input_pipeline": "input_pipeline",
    "batch_identities": "batch_identities",
    "input_sharding": "input_sharding",
    "transform": "transform",
    "evaluation": "evaluation",
    "ijb": "ijb",
    "all_vs_all": "all_vs_all",
    "margin_head": "margin_head",
    "partial_fc_step": "partial_fc_step",
    "end_to_end": "end_to_end",
    "serving": "serving",
    "startup": "startup",
    "face_alignment": "face_alignment",
    "scale": "scale",
    "pretrained_import": "pretrained_import",
    "warm_start": "warm_start",
    "gallery": "gallery",
}


def benchmark(name: str):
    """The module of benchmark `name` (a key of BENCHMARKS), imported now."""
    return importlib.import_module(f"bench.{BENCHMARKS[name]}")


@dataclasses.dataclass
class RunContext:
    """Where a benchmark may write scratch files, and the results of those run before it."""

    scratch_dir: str
    results: Dict[str, Result] = dataclasses.field(default_factory=dict)


def with_requirements(names, available=()):
    """`names` and every benchmark they require that is not `available` already, in run order."""
    wanted = set(names)
    for name in names:
        wanted.update(set(getattr(benchmark(name), "REQUIRES", ())) - set(available))
    return [name for name in BENCHMARKS if name in wanted]
