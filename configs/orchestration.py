"""Config sections for how and where the pipeline runs."""

from typing import Literal

from pydantic import Field

from configs.base import Section


class BeamConfig(Section):
    """How Beam runs the data-parallel steps locally."""

    running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = "in_memory"
    num_workers: int = Field(1, ge=1)

    def pipeline_args(self) -> list:
        # SwitchingDirectRunner: the plain DirectRunner first tries to download a Prism binary.
        return [
            "--runner=SwitchingDirectRunner",
            f"--direct_running_mode={self.running_mode}",
            f"--direct_num_workers={self.num_workers}",
        ]
