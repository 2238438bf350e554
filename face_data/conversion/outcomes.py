"""What a converter's worker makes of each input: a face, a pair, or a skipped input (and why).

Workers run in other processes and import no TensorFlow; the writing process turns these into
records (see `convert.write_outcomes`).

Example:
    >>> Converted(source="s1/1.pgm", image=png_bytes, label=0, changes=("re-encoded PPM L 8-bit as PNG L",))
    >>> Skipped(source="s1/2.pgm", reason="corrupt image", detail="image file is truncated")
"""

import dataclasses
from typing import Optional, Tuple, Union

from face_data.conversion.summary import Noticed, Skipped

Label = Union[int, bytes, str]

__all__ = ["Converted", "ConvertedPair", "ConvertedTemplateFace", "Noticed", "Skipped"]


@dataclasses.dataclass(frozen=True)
class Converted:
    """A face ready to write; `changes` lists conversions made on the way (e.g. re-encoded), counted in
    the summary; `notices` what the summary names (e.g. several faces in the photo)."""

    source: str
    image: bytes
    label: Label
    changes: Tuple[str, ...] = ()
    notices: Tuple[Noticed, ...] = ()


@dataclasses.dataclass(frozen=True)
class ConvertedPair:
    """A verification pair ready to write; labels (and the fold) are None when the input has none."""

    source: str
    image_a: bytes
    image_b: bytes
    is_same: bool
    label_a: Optional[Label] = None
    label_b: Optional[Label] = None
    changes: Tuple[str, ...] = ()
    fold: Optional[int] = None  # the protocol's fold, when the input defines folds
    notices: Tuple[Noticed, ...] = ()


@dataclasses.dataclass(frozen=True)
class ConvertedTemplateFace:
    """A face of an IJB-style template set ready to write: no identity, but its template, medium,
    detector score and image name (records.make_template_face_example)."""

    source: str
    image: bytes
    template: int
    media: int
    detector_score: float
    image_name: bytes
    changes: Tuple[str, ...] = ()
    notices: Tuple[Noticed, ...] = ()
