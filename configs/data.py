"""Config sections for the input data."""

from typing import Optional

from pydantic import Field

from configs.base import Location, Section


class SyntheticDataConfig(Section):
    """Parameters of the built-in synthetic face set, generated when `data.input_base` is missing."""

    num_identities: int = Field(60, ge=4)
    images_per_identity: int = Field(10, ge=2)
    image_size: int = Field(112, ge=16)
    seed: int = 0


class DataConfig(Section):
    """Where the face TFRecords are and how they are split by identity."""

    input_base: Location
    file_pattern: str = "*.tfrecord*"
    synthetic: Optional[SyntheticDataConfig] = None
    image_feature: str = "image"
    label_feature: str = "label"
    # A reviewed schema (schema.pbtxt) the records are validated against, so ExampleValidator
    # reports drift; None infers one from each run's statistics (a first run). Refresh it from
    # the latest run with `python -m pipeline.schema --config ...` (README, "A reviewed schema").
    schema_file: Optional[Location] = None
    # Splits hash the label, so an identity lands wholly in one split: eval people are never trained on.
    train_buckets: int = Field(3, ge=1)
    eval_buckets: int = Field(1, ge=1)
