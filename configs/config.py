"""The pipeline configuration: one YAML file, checked in full before any component runs.

`load_config` reads it into a `PipelineConfig`, whose sections live in `configs/`, one module
per area (data, model, evaluation, orchestration, metadata).

Every section is a pydantic model that forbids unknown keys, so a typo, a wrong type or an
impossible value (batch size 0, margin >= pi) is an error that names the key
(`trainer.batch_size: Input should be greater than 0`) instead of a setting that is silently
ignored hours into a run; the local runner, the tfx CLI's pipeline file and the Kubeflow compiler
all stop on it before writing anything. Numbers are read as YAML 1.1 reads them: an exponent needs
a dot (`1.0e-3`; `1e-3` is text, and refused with that hint). Relative paths are resolved against
the directory the pipeline is started from, because TFX records absolute URIs in ML Metadata;
remote URIs (gs://bucket/dir) are kept as written (`configs.base.Location`).
"""

from pathlib import Path
from typing import Any, Mapping, Optional, Union

import pydantic
import yaml
from pydantic import Field

from arcface_module.catalog import MBF_MIN_INPUT_SIZE
from components.embedding_evaluator.catalog import PAIRS_SET
from configs.base import Location, Section, is_remote, join
from configs.data import DataConfig
from configs.evaluation import EvaluatorConfig, PusherConfig
from configs.metadata import MetadataConfig
from configs.model import MULTI_WORKER_MIRRORED, ONE_DEVICE, TrainerConfig, TransformConfig
from configs.orchestration import BeamConfig, KubeflowConfig


class ConfigError(ValueError):
    """A configuration file that cannot be read or does not validate."""


class PipelineConfig(Section):
    """The whole pipeline: one per YAML file in `configs/`."""

    pipeline_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The pipeline's name in ML Metadata and on Kubeflow / Vertex."""
    run_root: Location
    """Where a run writes: the pipeline's artifacts under `pipeline/`, the sqlite store `metadata.sqlite`."""
    data: DataConfig
    """The input face records."""
    transform: TransformConfig = TransformConfig()
    """Image preprocessing."""
    trainer: TrainerConfig = TrainerConfig()
    """The model and its training."""
    evaluator: EvaluatorConfig = EvaluatorConfig()
    """Evaluation on unseen identities and the blessing policy."""
    pusher: PusherConfig
    """Where blessed models are published."""
    beam: BeamConfig = BeamConfig()
    """How Beam runs the data-parallel steps."""
    metadata: MetadataConfig = MetadataConfig()
    """The ML Metadata store."""
    kubeflow: Optional[KubeflowConfig] = None
    """Compiling and submitting to Kubeflow Pipelines / Vertex AI; null: local runs only."""

    @property
    def pipeline_root(self) -> Union[Path, str]:
        return join(self.run_root, "pipeline")

    @property
    def metadata_path(self) -> Union[Path, str]:
        return join(self.run_root, "metadata.sqlite")

    @pydantic.field_validator("kubeflow")
    @classmethod
    def _remote_locations(cls, kubeflow, info: pydantic.ValidationInfo):
        # A cluster's pods share no local disk: whatever they read or write must be remote.
        data, pusher = info.data.get("data"), info.data.get("pusher")
        locations = {
            "run_root": info.data.get("run_root"),
            "data.input_base": data and data.input_base,
            "pusher.serving_dir": pusher and pusher.serving_dir,
            "data.schema_file": data and data.schema_file,
            "pusher.gallery.photos": pusher and pusher.gallery and pusher.gallery.photos,
            "pusher.gallery.probes": pusher and pusher.gallery and pusher.gallery.probes,
        }
        local = [f"{key} ({value})" for key, value in locations.items() if value and not is_remote(value)]
        if kubeflow is not None and local:
            raise ValueError(f"expected remote URIs such as gs://bucket/dir, got local paths: {', '.join(local)}")
        return kubeflow

    @pydantic.model_validator(mode="after")
    def _validation_sets_exist(self):
        unknown = [name for name in self.trainer.validation.pairs if name not in self.evaluator.pairs]
        if unknown:
            raise ValueError(f"trainer.validation.pairs: {unknown} are not sets in evaluator.pairs "
                             f"({sorted(self.evaluator.pairs)})")
        templates = [name for name in self.trainer.validation.pairs if self.evaluator.pairs[name].type != PAIRS_SET]
        if templates:
            raise ValueError(f"trainer.validation.pairs: {templates} are IJB sets, scored by the evaluator only; "
                             "expected sets of pair records")
        return self

    @pydantic.model_validator(mode="after")
    def _gallery_people_are_not_trained_on(self):
        gallery = self.pusher.gallery
        if self.data.synthetic and gallery and gallery.synthetic and \
                gallery.synthetic.first_identity < self.data.synthetic.num_identities:
            raise ValueError(
                f"pusher.gallery.synthetic.first_identity: expected >= data.synthetic.num_identities "
                f"({self.data.synthetic.num_identities}: the identities trained and evaluated on), "
                f"got {gallery.synthetic.first_identity}")
        return self

    @pydantic.model_validator(mode="after")
    def _backbone_fits_the_images(self):
        # Caught here, not when the Trainer builds the model after Transform has run.
        if self.trainer.backbone == "mbf" and self.transform.image_size < MBF_MIN_INPUT_SIZE:
            raise ValueError(
                f"trainer.backbone mbf expects transform.image_size >= {MBF_MIN_INPUT_SIZE}, "
                f"got {self.transform.image_size}"
            )
        return self

    @pydantic.model_validator(mode="after")
    def _strategy_uses_the_machines(self):
        # Asked for machines the strategy would leave idle: caught before they are paid for.
        machines = self.kubeflow and self.kubeflow.trainer
        strategy = self.trainer.distribution.strategy
        if machines and machines.workers > 1 and strategy != MULTI_WORKER_MIRRORED:
            raise ValueError(
                f"kubeflow.trainer.workers {machines.workers} expects trainer.distribution.strategy "
                f"multi_worker_mirrored, got {strategy}"
            )
        if machines and self.kubeflow.vertex is None and strategy == MULTI_WORKER_MIRRORED:
            raise ValueError(
                "trainer.distribution.strategy multi_worker_mirrored expects TF_CONFIG, which only a Vertex AI "
                "Training job sets here (a kubeflow.vertex section); got a Kubeflow pod: use mirrored"
            )
        if machines and machines.accelerator and machines.accelerator.count > 1 and strategy == ONE_DEVICE:
            raise ValueError(
                f"kubeflow.trainer.accelerator.count {machines.accelerator.count} expects trainer.distribution."
                "strategy mirrored or multi_worker_mirrored, got one_device (it trains on one of them)"
            )
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
        problems = "; ".join(_problem(err) for err in e.errors())
        raise ConfigError(f"{path}: {problems}") from None


def _problem(error: dict) -> str:
    """`key: message, got <value>`, with a word on YAML's readings that surprise (types are strict)."""
    text = f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
    value = error.get("input")
    if error["type"] in _TYPE_ERRORS:
        text += f", got {value!r}"
        if isinstance(value, bool):
            text += " (YAML reads yes/no/on/off/true/false as a boolean)"
        elif isinstance(value, str) and _is_number(value):
            if "e" in value.lower() and "." not in value:
                # PyYAML follows YAML 1.1: an exponent needs a dot, so 1e-3 is text and 1.0e-3 a number.
                text += f" (text: YAML 1.1 reads an exponent without a dot as text; write {float(value)!r})"
            else:
                text += " (text, not a number: remove the quotes)"
    return text


# pydantic's error types for a value of the wrong type (strict mode: never converted).
_TYPE_ERRORS = {"int_type", "float_type", "bool_type", "string_type", "int_parsing", "float_parsing"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
