"""`identification.json`: the open-set threshold that travels with a model and its gallery, as verification.json
carries the verification threshold.

`python -m serving identify` answers with the best-matching enrolled person only when the
similarity reaches this threshold, else "unknown" (a version pushed without a gallery has no such
file: identify then decides by verification.json's threshold, and says so). The Pusher chooses it (with `gallery:` in the
pipeline config) for a false-positive identification rate (FPIR: the share of searches by people
not enrolled that are answered with someone), on held-out probes searched in the gallery it
pushes beside the model (`verification.identification.open_set_identification`), and writes it
into the version with the figures measured there.

Example:
    >>> text = content({"threshold": 0.41, "fpir": 0.01, "tpir": 0.93, ...}, gallery="gallery")
    >>> read_threshold("/srv/models/arcface/1760000000")
    (0.41, None)
"""

import json
import os
from typing import Mapping, Optional, Tuple

from serving import model_folder, verification_file

FILE_NAME = "identification.json"
GALLERY_DIR = "gallery"  # the gallery pushed beside the model, inside the version folder
DECISION = "the most similar enrolled person if the cosine similarity >= threshold, else unknown"


def content(operating_point: Mapping, gallery: str = GALLERY_DIR) -> str:
    """The file's text: the threshold, how to apply it, where it was measured, the gallery it was chosen for."""
    return json.dumps({"threshold": operating_point["threshold"], "decision": DECISION,
                       "operating_point": dict(operating_point), "gallery": gallery}, indent=2)


def read(folder: str) -> dict:
    """The file of a version folder, as a dict; FileNotFoundError saying where it comes from."""
    try:
        return json.loads(model_folder.read_text(os.path.join(folder, FILE_NAME)))
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder}: expected {FILE_NAME}, written by the Pusher when the pipeline config "
                                "has a gallery; found none") from None


def read_threshold(folder: str) -> Tuple[float, Optional[str]]:
    """The similarity at and above which a search is answered with the enrolled person found, and a note
    when it is not one chosen by FPIR: without identification.json, verification.json's 1:1 threshold."""
    if model_folder.exists(os.path.join(folder, FILE_NAME)):
        return float(read(folder)["threshold"]), None
    return verification_file.read_threshold(folder), (
        f"{folder} has no {FILE_NAME} (the pipeline pushes one with pusher.gallery): deciding by verification.json's "
        "1:1 threshold, whose false-positive identification rate grows with the gallery's size; see docs/gallery.md")
