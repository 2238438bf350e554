"""Config sections for preprocessing and training.

Everything the Trainer builds is chosen here: backbone, margin head, optimizer and schedule,
input augmentation, checkpoints, distribution and the exported signatures. Example (YAML):

    trainer:
      backbone: r50
      embedding_size: 512
      margin_type: arcface
      margin: 0.5
      scale: 64.0
      partial_fc_rate: 0.3
      optimizer: sgd
      learning_rate: 0.1
      warmup_steps: 2000
      batch_size: 512          # global: split over every replica
      epochs: 20
      precision: mixed_float16
      distribution: {strategy: multi_worker_mirrored}
"""

import math
import os
from pathlib import Path
from typing import Annotated, List, Literal, Optional, Tuple

import pydantic
import yaml
from pydantic import Field

from arcface_module.catalog import BACKBONES, FACE_SIZE, MARGIN_DEFAULTS, MARGINS, POSITIVE_MARGINS, SCALE
from configs.base import Section, is_remote
from configs.starting_model import BACKBONE_FILE, LAST_BLESSED, METADATA_FILE, NO_BASE_MODEL
from configs.optimizers import DECAYS, OPTIMIZERS, learning_rate_problem

# insightface arcface_torch's training recipes, one YAML file of trainer keys each (docs/training.md).
RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
RECIPES = tuple(sorted(path.stem for path in RECIPES_DIR.glob("*.yaml")))


def recipe(name: str) -> dict:
    """The trainer keys of recipe `name` (a file of configs/recipes/)."""
    return yaml.safe_load((RECIPES_DIR / f"{name}.yaml").read_text())


class CropBox(Section):
    """A box in fractions of each image's height and width, cropped before resizing.

    Example: `{top: 0.1, left: 0.1, height: 0.8, width: 0.8}` keeps the central 80%.
    """

    top: float = Field(0.0, ge=0, lt=1)
    """The box's top edge, in fractions of the image's height."""
    left: float = Field(0.0, ge=0, lt=1)
    """The box's left edge, in fractions of the image's width."""
    height: float = Field(1.0, gt=0, le=1)
    """The box's height, in fractions of the image's height."""
    width: float = Field(1.0, gt=0, le=1)
    """The box's width, in fractions of the image's width."""

    @pydantic.model_validator(mode="after")
    def _inside_the_image(self):
        if self.top + self.height > 1 or self.left + self.width > 1:
            raise ValueError(
                "expected a box inside the image (top + height <= 1, left + width <= 1); got "
                f"top={self.top}, height={self.height}, left={self.left}, width={self.width}"
            )
        return self


class TransformConfig(Section):
    """Image preprocessing, identical at training and at serving (it is part of the exported graph)."""

    image_size: int = Field(FACE_SIZE, ge=16, le=1024)
    """Side of the square the images are resized to, in pixels: the model's input."""
    crop: Optional[CropBox] = None
    """A box cropped from each image before resizing (faces are often not tightly cropped); null keeps the whole image."""
    normalize_mean: float = 0.5
    """Pixels are normalised as insightface does: (x / 255 - normalize_mean) / normalize_std."""
    normalize_std: float = Field(0.5, gt=0)
    """The divisor of that normalisation."""


class AugmentationConfig(Section):
    """Random changes to each training image, drawn afresh at every step (never at serving)."""

    flip: bool = True
    """Mirror each image left-right with probability 1/2."""
    crop_jitter: float = Field(0.05, ge=0, lt=0.5)
    """The largest random shift, in fractions of the image size."""
    brightness: float = Field(0.1, ge=0)
    """The largest random shift added to the normalised pixels."""
    contrast: float = Field(0.1, ge=0, lt=1)
    """Contrast is scaled by a random factor in [1 - contrast, 1 + contrast]."""


# The tf.distribute strategies the Trainer builds (tfx_module/trainer/distribution.py).
ONE_DEVICE, MIRRORED, MULTI_WORKER_MIRRORED = "one_device", "mirrored", "multi_worker_mirrored"
STRATEGIES = (ONE_DEVICE, MIRRORED, MULTI_WORKER_MIRRORED)


class DistributionConfig(Section):
    """How training is spread over devices and machines."""

    strategy: Literal[STRATEGIES] = ONE_DEVICE
    """one_device: the first GPU, else the CPU. mirrored: several devices of this machine.
    multi_worker_mirrored: the workers listed in TF_CONFIG (Vertex AI Training, Kubeflow TFJob)."""
    devices: Optional[List[str]] = None
    """mirrored only: the devices, e.g. ["/gpu:0", "/gpu:1"]; null takes every GPU (or the CPU if there is none)."""
    sync_batch_norm: bool = True
    """Batch-norm statistics over the global batch, not each replica's share, so that N replicas
    train the model one device would (one all-reduce per batch-norm layer and step)."""


_Angle = Annotated[float, Field(ge=0, lt=math.pi)]


class ValidationConfig(Section):
    """Verification on named pairs sets (evaluator.pairs) during training, every `every_steps` steps.

    Each set's accuracy and TAR at the operating point's FAR go to TensorBoard and the log;
    `keep_best` names a set whose best accuracy picks the weights exported (else the last).
    Example: `{pairs: [lfw], every_steps: 500, keep_best: lfw}`.
    """

    pairs: List[str] = []
    """Names of sets in evaluator.pairs to score during training; empty: no validation."""
    every_steps: int = Field(500, gt=0)
    """Validate every this many steps, and at the last step."""
    keep_best: Optional[str] = None
    """A set among `pairs` whose best accuracy picks the weights exported; null exports the last weights."""

    @pydantic.model_validator(mode="after")
    def _keep_best_is_validated(self):
        if self.keep_best is not None and self.keep_best not in self.pairs:
            raise ValueError(f"keep_best: expected one of the validation pairs {self.pairs}, got '{self.keep_best}'")
        return self


class WarmStartConfig(Section):
    """Where the backbone's weights start, and the fine-tuning schedule when they start from a model.

    The margin head is always new (this run's identities). Example, weekly retraining that
    starts from last week's blessed model: `{base_model: last_blessed}`; from an insightface model
    imported with `python -m pretrained`: `{base_model: models/r50-glint360k}` (docs/fine-tuning.md).
    """

    base_model: str = NO_BASE_MODEL
    """none: random weights; last_blessed: the latest blessed model of this pipeline (random
    weights until there is one); else a starting model's folder (local path or remote URI), as
    `python -m pretrained` writes or a Trainer's Model artifact."""
    freeze_backbone_steps: int = Field(100, ge=0)
    """With a base model: steps that train only the new head, the backbone frozen in inference mode."""
    learning_rate_factor: float = Field(0.1, gt=0, le=1)
    """With a base model: after the frozen steps, everything trains at the learning rate times this."""
    freeze_batch_norm: bool = True
    """With a base model: BatchNorm layers keep the base model's statistics and scales throughout."""

    @pydantic.field_validator("base_model")
    @classmethod
    def _a_word_or_a_starting_model(cls, value):
        if value in (NO_BASE_MODEL, LAST_BLESSED) or is_remote(value):
            return value
        # Made absolute, as every local path of the config, and checked now, not after Transform.
        folder = Path(os.path.abspath(value))
        missing = [name for name in (BACKBONE_FILE, METADATA_FILE) if not (folder / name).is_file()]
        if missing:
            raise ValueError(f"expected {NO_BASE_MODEL}, {LAST_BLESSED} or a starting model's folder (holding "
                             f"{BACKBONE_FILE} and {METADATA_FILE}); {folder} has no {' or '.join(missing)}")
        return str(folder)


class TrainerConfig(Section):
    """The model and how it is trained."""

    backbone: Literal[BACKBONES] = "tiny"
    """The embedding network (arcface_module.catalog): tiny and tiny_flat for tests and demos,
    mbf MobileFaceNet, r18-r100 insightface's IResNets."""
    embedding_size: int = Field(128, ge=2)
    """Length of the embedding the model outputs (L2-normalised)."""
    margin_type: Literal[MARGINS] = "arcface"
    """The margin on each sample's own class: "arcface" cos(theta + margin), "cosface"
    cos(theta) - margin, "sphereface" cos(margin * theta), "adaface" (margin adapted to image
    quality), "combined" cos(m1 * theta + m2) - m3 with (m1, m2, m3) = combined_margins."""
    # One number for every type would give sphereface m1 = 0.5, an easier task than m1 = 1.
    margin: Optional[float] = Field(None, ge=0, lt=math.pi)
    """The margin of `margin_type`; unset: the library's default for it (arcface_module.catalog.MARGIN_DEFAULTS)."""
    # strict=False takes YAML's list for the tuple; its three numbers stay strict.
    combined_margins: Tuple[Annotated[float, Field(gt=0)], _Angle, Annotated[float, Field(ge=0)]] = Field(
        tuple(MARGIN_DEFAULTS["combined"][m] for m in ("m1", "m2", "m3")), strict=False
    )
    """(m1, m2, m3) of margin_type combined: cos(m1 * theta + m2) - m3."""
    scale: float = Field(SCALE, gt=0)
    """The logits' scale s: s * cos(theta) with the margin applied."""
    sub_centers: int = Field(1, ge=1)
    """Centers per class (sub-center ArcFace); 1 is plain ArcFace."""
    partial_fc_rate: float = Field(1.0, gt=0, le=1)
    """Partial FC: the fraction of class centers each step uses (1 is the full head)."""

    recipe: Optional[Literal[RECIPES]] = None
    """A training recipe of configs/recipes/ (insightface arcface_torch's, e.g. ms1mv3_r50): its keys
    apply under the ones written beside it here (docs/training.md says which to pick)."""
    optimizer: Literal[OPTIMIZERS] = "adamw"
    """The optimizer."""
    learning_rate: float = Field(1e-3, gt=0)
    """The peak learning rate, for the global batch; it must fit the optimizer (sgd 1e-3 to 1, adamw
    1e-5 to 1e-2: configs/optimizers.py)."""
    momentum: float = Field(0.9, ge=0, lt=1)
    """SGD's momentum (sgd only)."""
    weight_decay: float = Field(5e-4, ge=0)
    """Decoupled weight decay: w -= learning_rate * weight_decay * w."""
    lr_schedule: Literal[DECAYS] = "cosine"
    """After a linear warmup from 0: constant, cosine to 0, (1 - progress)^2, or 1 - progress
    (linear, as insightface arcface_torch)."""
    warmup_steps: int = Field(0, ge=0)
    """Steps of the linear warmup."""

    batch_size: int = Field(32, gt=0)
    """The global batch: each of N replicas takes batch_size / N."""
    train_steps: int = Field(200, gt=0)
    """Training steps (unless `epochs` is set)."""
    epochs: Optional[int] = Field(None, gt=0)
    """Passes over the training split instead of train_steps (its size comes from Transform)."""
    shuffle_buffer: int = Field(1000, gt=0)
    """Records in the shuffle buffer of the training input."""
    augmentation: AugmentationConfig = AugmentationConfig()
    """Random changes to each training image."""
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"
    """Keras' dtype policy while training: mixed_float16 (float16 compute with loss scaling, for
    V100 / T4 GPUs) or mixed_bfloat16 (A100, H100, TPU: no loss scaling); variables stay float32."""
    gradient_accumulation_steps: int = Field(1, ge=1)
    """Take each step's batch in this many micro-batches, one after the other, summing their
    gradients into one update: a global batch larger than fits in memory (batch-norm statistics
    are then per micro-batch)."""
    seed: int = 0
    """Seed of the weights' initialisation, the shuffling and the augmentation."""

    checkpoint_every_steps: int = Field(100, gt=0)
    """A checkpoint every this many steps; a re-run resumes from the last."""
    log_every_steps: int = Field(10, gt=0)
    """TensorBoard scalars every this many steps."""
    progress_every_seconds: float = Field(15.0, gt=0)
    """A progress line (step, loss, accuracy, images/s, time left) at least this often, on stderr."""
    distribution: DistributionConfig = DistributionConfig()
    """How training is spread over devices and machines."""
    flip_test_time_augmentation: bool = False
    """Serve the embedding of image + mirrored image (insightface's flip test): steadier, 2x compute."""
    validation: ValidationConfig = ValidationConfig()
    """Verification on named pairs sets during training."""
    warm_start: WarmStartConfig = WarmStartConfig()
    """Where the backbone starts (a base model or random weights) and the fine-tuning schedule."""

    @classmethod
    def from_json(cls, values: dict) -> "TrainerConfig":
        """The section back from what `model_dump(mode="json")` wrote (the Trainer's custom_config).

        The dump holds every key, train_steps beside epochs, which a written config may not: with
        epochs, train_steps is left to its default again.

        >>> trainer = TrainerConfig(epochs=3)
        >>> TrainerConfig.from_json(trainer.model_dump(mode="json")) == trainer
        True
        """
        if values.get("epochs") is not None:
            values = {key: value for key, value in values.items() if key != "train_steps"}
        return cls.model_validate(values)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _recipe_then_margin_defaults(cls, values):
        if isinstance(values, dict) and values.get("recipe") in RECIPES:
            under = recipe(values["recipe"])
            if "train_steps" in values:  # steps or epochs is one choice: the explicit one wins
                under.pop("epochs", None)
            values = {**under, **values}
        if isinstance(values, dict) and values.get("margin") is None:
            margin_type = values.get("margin_type", cls.model_fields["margin_type"].default)
            default = MARGIN_DEFAULTS.get(margin_type, {}).get("margin")  # "combined" has none
            if default is not None:
                values = {**values, "margin": default}
        return values

    @pydantic.model_validator(mode="after")
    def _consistent(self):
        if self.epochs is not None and "train_steps" in self.model_fields_set:
            raise ValueError(
                f"expected train_steps or epochs, not both; got train_steps={self.train_steps}, "
                f"epochs={self.epochs}"
            )
        if self.epochs is None and self.warmup_steps >= self.train_steps:
            raise ValueError(
                f"expected warmup_steps < train_steps; got warmup_steps={self.warmup_steps}, "
                f"train_steps={self.train_steps}"
            )
        if self.batch_size % self.gradient_accumulation_steps:
            raise ValueError(f"expected batch_size to be a multiple of gradient_accumulation_steps; got "
                             f"batch_size={self.batch_size}, gradient_accumulation_steps={self.gradient_accumulation_steps}")
        if learning_rate_problem(self.optimizer, self.learning_rate):
            raise ValueError(learning_rate_problem(self.optimizer, self.learning_rate))
        if (self.epochs is None and self.warm_start.base_model != NO_BASE_MODEL
                and self.warm_start.freeze_backbone_steps >= self.train_steps):
            raise ValueError(
                f"expected warm_start.freeze_backbone_steps < train_steps; got "
                f"{self.warm_start.freeze_backbone_steps} and {self.train_steps}"
            )
        if self.margin_type in POSITIVE_MARGINS and self.margin <= 0:
            raise ValueError(f"expected margin > 0 for {self.margin_type}; got {self.margin}")
        return self
