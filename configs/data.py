"""Config sections for the input data."""

from typing import Optional

from pydantic import Field

from arcface_module.catalog import FACE_SIZE
from configs.base import Location, Section


class SyntheticDataConfig(Section):
    """Parameters of the built-in synthetic face set, generated when `data.input_base` is missing."""

    num_identities: int = Field(60, ge=4)
    """How many people to draw."""
    images_per_identity: int = Field(10, ge=2)
    """Images drawn of each person (pose, lighting, expression, occlusion, blur and noise vary)."""
    image_size: int = Field(FACE_SIZE, ge=16)
    """Side of the square images drawn, in pixels."""
    seed: int = 0
    """Seed of the drawing: the same seed draws the same faces."""


class DataConfig(Section):
    """Where the face TFRecords are and how they are split by identity."""

    input_base: Location
    """The folder of the face TFRecord files (a local path or a remote URI such as gs://bucket/dir)."""
    file_pattern: str = "*.tfrecord*"
    """Which files under `input_base` are record files (a glob)."""
    synthetic: Optional[SyntheticDataConfig] = None
    """Draw the built-in synthetic faces into `input_base` before a run if it is missing (the demo)."""
    image_feature: str = "image"
    """The records' feature holding the encoded image bytes."""
    label_feature: str = "label"
    """The records' feature holding the identity (an int64 id or a name as bytes)."""
    schema_file: Optional[Location] = None
    """A reviewed schema (schema.pbtxt) the records are validated against, so ExampleValidator
    reports drift; null infers one from each run's statistics (a first run). Refresh it from the
    latest run with `python -m inspection.schema --config ...` (docs/data.md, "A reviewed schema")."""
    # Splits hash the label, so an identity lands wholly in one split: eval people are never trained on.
    train_buckets: int = Field(3, ge=1)
    """Hash buckets of the train split: train gets train_buckets / (train_buckets + eval_buckets) of the people."""
    eval_buckets: int = Field(1, ge=1)
    """Hash buckets of the eval split, whose people are never trained on."""
    shuffle_seed: int = 0
    """ExampleGen writes each face split in a random order that the records and this seed fix, the
    same on every Beam runner and worker count (docs/training.md, "Record order")."""
