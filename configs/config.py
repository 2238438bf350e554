"""The pipeline configuration: one YAML file, checked in full before any component runs.

Every section is a pydantic model that forbids unknown keys, so a typo or a wrong type is an error
that names the key (`trainer.batch_size: Input should be greater than 0`) instead of a setting that
is silently ignored hours into a run. Relative paths are resolved against the directory the
pipeline is started from, because TFX records absolute URIs in ML Metadata.
"""

import math
import os
from pathlib import Path
from typing import Any, Literal, Mapping, Optional

import pydantic
import yaml
from pydantic import ConfigDict, Field


class ConfigError(ValueError):
    """A configuration file that cannot be read or does not validate."""


class _Section(pydantic.BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticDataConfig(_Section):
    """Parameters of the built-in synthetic face set, generated when `data.input_base` is missing."""

    num_identities: int = Field(60, ge=4)
    images_per_identity: int = Field(10, ge=2)
    image_size: int = Field(112, ge=16)
    seed: int = 0


class DataConfig(_Section):
    """Where the face TFRecords are and how they are split by identity."""

    input_base: Path
    file_pattern: str = "*.tfrecord*"
    synthetic: Optional[SyntheticDataConfig] = None
    image_feature: str = "image"
    label_feature: str = "label"
    # Splits hash the label, so an identity lands wholly in one split: eval people are never trained on.
    train_buckets: int = Field(3, ge=1)
    eval_buckets: int = Field(1, ge=1)


class TransformConfig(_Section):
    """Image preprocessing, identical at training and at serving (it is part of the exported graph)."""

    image_size: int = Field(112, ge=16, le=1024)
    # insightface normalisation: (x / 255 - mean) / std.
    normalize_mean: float = 0.5
    normalize_std: float = Field(0.5, gt=0)


class TrainerConfig(_Section):
    """The model and how it is trained."""

    backbone: str = "tiny"
    embedding_size: int = Field(128, ge=2)
    margin: float = Field(0.5, ge=0, lt=math.pi)
    scale: float = Field(64.0, gt=0)
    batch_size: int = Field(32, gt=0)
    train_steps: int = Field(200, gt=0)
    learning_rate: float = Field(1e-3, gt=0)
    seed: int = 0


class EvaluatorConfig(_Section):
    """Pair verification on the eval identities, and the blessing policy."""

    min_verification_accuracy: float = Field(0.7, ge=0, le=1)
    max_positive_pairs: int = Field(3000, gt=0)
    seed: int = 0


class PusherConfig(_Section):
    """Where blessed models are published."""

    serving_dir: Path


class BeamConfig(_Section):
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


class PipelineConfig(_Section):
    """The whole pipeline: one per YAML file in `configs/`."""

    pipeline_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    run_root: Path
    data: DataConfig
    transform: TransformConfig = TransformConfig()
    trainer: TrainerConfig = TrainerConfig()
    evaluator: EvaluatorConfig = EvaluatorConfig()
    pusher: PusherConfig
    beam: BeamConfig = BeamConfig()

    @property
    def pipeline_root(self) -> Path:
        return self.run_root / "pipeline"

    @property
    def metadata_path(self) -> Path:
        return self.run_root / "metadata.sqlite"

    @pydantic.model_validator(mode="after")
    def _absolute_paths(self):
        # Frozen models: resolve in place once, so every consumer sees the same absolute paths.
        def resolve(section, name):
            value = getattr(section, name)
            object.__setattr__(section, name, Path(os.path.abspath(value)))

        resolve(self, "run_root")
        resolve(self.data, "input_base")
        resolve(self.pusher, "serving_dir")
        return self


def _merge(base: dict, overrides: Mapping[str, Any]) -> dict:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path, overrides: Optional[Mapping[str, Any]] = None) -> PipelineConfig:
    """Reads and validates a YAML config; `overrides` is a nested dict merged over the file.

    Example:
        config = load_config("configs/local.yaml", {"trainer": {"train_steps": 10}})
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the config: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    try:
        return PipelineConfig.model_validate(_merge(raw, overrides or {}))
    except pydantic.ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
