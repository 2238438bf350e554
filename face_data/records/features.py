"""The feature names of the face and pair records (face_data/records/contract.py has the contract), without TensorFlow.

Command lines read the defaults here to build their parsers before anything loads TensorFlow.

Example:
    >>> FaceFeatures(image="jpeg", label="person").label
    'person'
"""

import dataclasses

IMAGE_FEATURE = "image"
LABEL_FEATURE = "label"
IMAGE_A_FEATURE = "image_a"
IMAGE_B_FEATURE = "image_b"
IS_SAME_FEATURE = "is_same"
LABEL_A_FEATURE = "label_a"
LABEL_B_FEATURE = "label_b"
FOLD_FEATURE = "fold"
TEMPLATE_FEATURE = "template"
MEDIA_FEATURE = "media"
DETECTOR_SCORE_FEATURE = "detector_score"
IMAGE_NAME_FEATURE = "image_name"
# Optional attributes of a face (region, age band...): one bytes feature each, `attribute/<name>`.
ATTRIBUTE_PREFIX = "attribute/"


@dataclasses.dataclass(frozen=True)
class FaceFeatures:
    """Feature names of face records, e.g. `FaceFeatures(image="jpeg", label="person")`."""

    image: str = IMAGE_FEATURE
    label: str = LABEL_FEATURE


@dataclasses.dataclass(frozen=True)
class PairFeatures:
    """Feature names of verification-pair records."""

    image_a: str = IMAGE_A_FEATURE
    image_b: str = IMAGE_B_FEATURE
    is_same: str = IS_SAME_FEATURE
    label_a: str = LABEL_A_FEATURE
    label_b: str = LABEL_B_FEATURE
    fold: str = FOLD_FEATURE


@dataclasses.dataclass(frozen=True)
class TemplateFaceFeatures:
    """Feature names of template-face records (IJB-B / IJB-C faces)."""

    image: str = IMAGE_FEATURE
    template: str = TEMPLATE_FEATURE
    media: str = MEDIA_FEATURE
    detector_score: str = DETECTOR_SCORE_FEATURE
    image_name: str = IMAGE_NAME_FEATURE
