"""The benchmarks in the order they run, and what a benchmark is given when it runs."""

import dataclasses
from typing import Dict

from bench import (end_to_end, evaluation, face_alignment, input_pipeline, margin_head, peers, scale,
                   serving, startup, trainer, transform)
from bench.results import Result

# Each module has NAME and run(settings, context) -> Result; REQUIRES names earlier benchmarks
# whose results it reads. serving and face_alignment come after end_to_end to use the model it pushed.
MODULES = (trainer, peers, input_pipeline, transform, evaluation, margin_head, end_to_end, serving, startup,
           face_alignment, scale)
BENCHMARKS = {module.NAME: module for module in MODULES}


@dataclasses.dataclass
class RunContext:
    """Where a benchmark may write scratch files, and the results of those run before it."""

    scratch_dir: str
    results: Dict[str, Result] = dataclasses.field(default_factory=dict)


def with_requirements(names, available=()):
    """`names` and every benchmark they require that is not `available` already, in run order."""
    wanted = set(names)
    for name in names:
        wanted.update(set(getattr(BENCHMARKS[name], "REQUIRES", ())) - set(available))
    return [name for name in BENCHMARKS if name in wanted]
