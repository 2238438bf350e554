"""Reads IJB-B / IJB-C as insightface releases them for `eval_ijbc.py`, and aligns each face by its landmarks.

The released layout, under ROOT (NAME is `ijbc` or `ijbb`):

    meta/NAME_face_tid_mid.txt          image_name template_id media_id          (one line a face)
    meta/NAME_name_5pts_score.txt       image_name x1 y1 ... x5 y5 detector_score (the same faces, same order)
    meta/NAME_template_pair_label.txt   template_1 template_2 label (1: same subject) (the 1:1 protocol)
    meta/NAME_1N_gallery_G1.csv ...     TEMPLATE_ID,SUBJECT_ID,FILENAME,... with a header (1:N; IJB-B: _S1, _S2)
    meta/NAME_1N_probe_mixed.csv        the same columns: the probes searched in every gallery
    loose_crop/IMAGE_NAME               the face crops the landmarks refer to

The 1:N files are optional (a 1:1-only set). insightface pairs the two face lists line by line;
here line i of both must name the same image. Each face is aligned onto the ArcFace template by
its five given landmarks (`alignment.align_face`: no detector) and kept with its template, medium,
detector score and image name; the protocol (pairs, galleries, probes) goes beside the records
(`Protocol`). Malformed meta files stop the conversion with the file and line, before anything is
written; an unreadable image skips its face, and a template left without faces drops its pairs
and searches (the summary counts them).

Example:
    >>> layout = read_layout("/data/IJB_release/IJBC")
    >>> len(layout.faces), len(layout.protocol.pairs), sorted(layout.protocol.galleries)
    (469375, 15658489, ['G1', 'G2'])
"""

import csv
import dataclasses
import glob
import io
import os
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas
from PIL import Image

from face_data.alignment.template import ALIGNED_SIZE, align_face
from face_data.conversion.images import MAX_PIXELS, ImageRejected, check_image
from face_data.conversion.outcomes import ConvertedTemplateFace, Skipped

NAMES = ("ijbc", "ijbb")
PROTOCOL_FILE = "protocol.npz"  # beside the records: what the evaluator compares
PROBES = "probe_mixed"
_GALLERY_PREFIX = "_1N_gallery_"


@dataclasses.dataclass(frozen=True)
class IjbFace:
    """One face of the set: its line in both face lists and everything they say about it."""

    source: str  # "<image> (NAME_name_5pts_score.txt line N)"
    image_name: str
    template: int
    media: int
    landmarks: Tuple[Tuple[float, float], ...]
    detector_score: float


@dataclasses.dataclass(frozen=True)
class Protocol:
    """The comparisons of the set, by template id: 1:1 pairs [P, 3] (template 1, template 2, same),
    and for 1:N each gallery's and the probes' [T, 2] (template, subject); empty without 1:N."""

    pairs: np.ndarray
    galleries: Dict[str, np.ndarray]
    probes: np.ndarray

    def save(self, path: str) -> None:
        """Writes an .npz under a temporary name, then renames it: never seen half-written."""
        temp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.partial")
        try:
            with open(temp, "wb") as file:
                np.savez_compressed(file, pairs=self.pairs, probes=self.probes,
                                    **{f"gallery_{name}": rows for name, rows in self.galleries.items()})
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.remove(temp)

    @classmethod
    def load(cls, file) -> "Protocol":
        """Reads what `save` wrote, from a path or an open binary file."""
        with np.load(file) as arrays:
            galleries = {key[len("gallery_"):]: arrays[key] for key in arrays.files if key.startswith("gallery_")}
            return cls(arrays["pairs"], galleries, arrays["probes"])

    def keeping(self, templates: np.ndarray) -> Tuple["Protocol", Dict[str, int]]:
        """The protocol without comparisons of templates not in `templates`, and how many each part lost."""
        keep_pairs = np.isin(self.pairs[:, 0], templates) & np.isin(self.pairs[:, 1], templates)
        kept = {name: rows[np.isin(rows[:, 0], templates)] for name, rows in self.galleries.items()}
        probes = self.probes[np.isin(self.probes[:, 0], templates)]
        lost = {"pairs": int((~keep_pairs).sum()), "probes": len(self.probes) - len(probes),
                **{f"gallery {name}": len(rows) - len(kept[name]) for name, rows in self.galleries.items()}}
        return Protocol(self.pairs[keep_pairs], kept, probes), {part: n for part, n in lost.items() if n}


@dataclasses.dataclass(frozen=True)
class IjbLayout:
    name: str
    faces: List[IjbFace]
    protocol: Protocol


def _lines(path: str):
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file (an IJB release holds meta/NAME_face_tid_mid.txt, "
                         "NAME_name_5pts_score.txt and NAME_template_pair_label.txt)")
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                yield number, line.split()


def _number(text: str, kind, where: str, what: str):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{where}: expected {what}, got {text!r}") from None


def _image_name(text: str, where: str) -> str:
    if text.startswith(".") or "\\" in text or "\0" in text or ".." in text.split("/"):
        raise ValueError(f"{where}: image name {text!r} leads out of loose_crop/; path traversal is refused")
    return text


def _read_faces(meta: str, name: str) -> List[IjbFace]:
    tid_path, points_path = (os.path.join(meta, f"{name}_{suffix}.txt") for suffix in ("face_tid_mid", "name_5pts_score"))
    tid_lines, points_lines = list(_lines(tid_path)), list(_lines(points_path))
    if len(tid_lines) != len(points_lines):
        raise ValueError(f"{points_path}: expected a line per face of {os.path.basename(tid_path)} "
                         f"({len(tid_lines)}), got {len(points_lines)}")
    faces = []
    for (tid_number, tid_fields), (number, fields) in zip(tid_lines, points_lines):
        where, tid_where = f"{points_path} line {number}", f"{tid_path} line {tid_number}"
        if len(tid_fields) != 3:
            raise ValueError(f"{tid_where}: expected 'image_name template_id media_id', got {len(tid_fields)} fields")
        if len(fields) != 12:
            raise ValueError(f"{where}: expected 'image_name', 10 landmark coordinates and a detector score, "
                             f"got {len(fields)} fields")
        _image_name(tid_fields[0], tid_where)
        if fields[0] != tid_fields[0]:
            raise ValueError(f"{where}: expected the image of {os.path.basename(tid_path)} line {tid_number}, "
                             f"{tid_fields[0]!r}, got {fields[0]!r}")
        values = [_number(text, float, where, "a number") for text in fields[1:]]
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{where}: expected finite landmarks and score, got {fields[1:]}")
        faces.append(IjbFace(
            source=f"{fields[0]} ({os.path.basename(points_path)} line {number})",
            image_name=fields[0],
            template=_number(tid_fields[1], int, tid_where, "an integer template id"),
            media=_number(tid_fields[2], int, tid_where, "an integer media id"),
            landmarks=tuple(zip(values[0:10:2], values[1:10:2])),
            detector_score=values[10],
        ))
    if not faces:
        raise ValueError(f"{tid_path}: expected a line per face, found none")
    return faces


def _pair_line(path: str, number: int, fields: List[str], templates: set) -> Tuple[int, int, int]:
    where = f"{path} line {number}"
    if len(fields) != 3:
        raise ValueError(f"{where}: expected 'template_1 template_2 label', got {len(fields)} fields")
    first, second, label = (_number(text, int, where, "integers") for text in fields)
    if label not in (0, 1):
        raise ValueError(f"{where}: expected a label of 1 (same subject) or 0, got {label}")
    for template in (first, second):
        if template not in templates:
            raise ValueError(f"{where}: template {template} has no face in the face list")
    return first, second, label


def _read_pairs(path: str, templates: set) -> np.ndarray:
    """The 1:1 pairs [P, 3]. IJB-C has 15.7 million: pandas' C parser reads them in seconds; only
    when it finds something wrong are the lines walked in Python, to name the first bad one."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file (the 1:1 protocol of an IJB release)")
    try:
        pairs = pandas.read_csv(path, sep=r"\s+", header=None, dtype=np.int64).to_numpy()
        known = np.array(sorted(templates))
        if (pairs.shape[1] == 3 and np.isin(pairs[:, 2], (0, 1)).all() and np.isin(pairs[:, :2], known).all()):
            return pairs
    except (ValueError, pandas.errors.ParserError):  # EmptyDataError is a ValueError
        pass
    rows = [_pair_line(path, number, fields, templates) for number, fields in _lines(path)]
    if not rows:
        raise ValueError(f"{path}: expected template pairs, found none")
    raise ValueError(f"{path}: pandas could not read it as 'template_1 template_2 label' lines, "
                     "though each line holds three integers")


def _read_subjects(path: str, templates: set) -> np.ndarray:
    """(template, subject) rows of a 1:N file (a row per image there: one per template here)."""
    with open(path, encoding="utf-8-sig", newline="") as file:  # -sig: a spreadsheet's byte-order mark
        rows = csv.reader(file)
        header = [column.strip().upper() for column in next(rows, [])]
        if "TEMPLATE_ID" not in header or "SUBJECT_ID" not in header:
            raise ValueError(f"{path} line 1: expected a header naming TEMPLATE_ID and SUBJECT_ID, got {header[:4]}")
        template_column, subject_column = header.index("TEMPLATE_ID"), header.index("SUBJECT_ID")
        subject_of = {}
        for number, row in enumerate(rows, start=2):
            where = f"{path} line {number}"
            if len(row) <= max(template_column, subject_column):
                raise ValueError(f"{where}: expected {len(header)} columns, got {len(row)}")
            template = _number(row[template_column], int, where, "an integer TEMPLATE_ID")
            subject = _number(row[subject_column], int, where, "an integer SUBJECT_ID")
            if subject_of.setdefault(template, subject) != subject:
                raise ValueError(f"{where}: template {template} is of subject {subject_of[template]} on an "
                                 f"earlier line, here of {subject}")
            if template not in templates:
                raise ValueError(f"{where}: template {template} has no face in the face list")
    if not subject_of:
        raise ValueError(f"{path}: expected a row per image after the header, found none")
    return np.array(sorted(subject_of.items()), dtype=np.int64)


def _read_galleries(meta: str, name: str, templates: set) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    paths = sorted(glob.glob(os.path.join(glob.escape(meta), f"{name}{_GALLERY_PREFIX}*.csv")))
    probes_path = os.path.join(meta, f"{name}_1N_{PROBES}.csv")
    if bool(paths) != os.path.isfile(probes_path):
        raise ValueError(f"{meta}: 1:N needs galleries ({name}{_GALLERY_PREFIX}*.csv) and probes "
                         f"({os.path.basename(probes_path)}), found {'only galleries' if paths else 'only probes'}")
    galleries = {}
    for path in paths:
        gallery = os.path.basename(path)[len(name) + len(_GALLERY_PREFIX):-len(".csv")]
        galleries[gallery] = _read_subjects(path, templates)
        subjects, counts = np.unique(galleries[gallery][:, 1], return_counts=True)
        if counts.max() > 1:
            raise ValueError(f"{path}: expected one template per subject in a gallery, subject "
                             f"{subjects[counts > 1][0]} has {counts.max()}")
    probes = _read_subjects(probes_path, templates) if paths else np.zeros((0, 2), np.int64)
    return galleries, probes


def set_name(root: str) -> str:
    """`ijbc` or `ijbb`: whichever NAME_face_tid_mid.txt is in ROOT/meta (refused if neither or both)."""
    found = [name for name in NAMES if os.path.isfile(os.path.join(root, "meta", f"{name}_face_tid_mid.txt"))]
    if len(found) != 1:
        raise ValueError(f"{os.path.join(root, 'meta')}: expected the face list of one IJB set "
                         f"({' or '.join(f'{name}_face_tid_mid.txt' for name in NAMES)}), found {len(found)}")
    return found[0]


def read_layout(root: str, name: Optional[str] = None) -> IjbLayout:
    """The faces and the protocol of the IJB set under `root`; `name` (ijbc, ijbb) by default from the files."""
    if not os.path.isdir(os.path.join(root, "loose_crop")):
        raise ValueError(f"{root}: expected an IJB release folder holding meta/ and loose_crop/")
    name = name or set_name(root)
    meta = os.path.join(root, "meta")
    faces = _read_faces(meta, name)
    templates = {face.template for face in faces}
    pairs = _read_pairs(os.path.join(meta, f"{name}_template_pair_label.txt"), templates)
    galleries, probes = _read_galleries(meta, name, templates)
    return IjbLayout(name, faces, Protocol(pairs, galleries, probes))


def align_ijb_faces(faces: List[IjbFace], root: str, max_pixels: int = MAX_PIXELS,
                    size: int = ALIGNED_SIZE) -> list:
    """Worker: each face's crop aligned by its landmarks, as PNG, or Skipped if its image is unfit."""
    outcomes = []
    for face in faces:
        try:
            with open(os.path.join(root, "loose_crop", face.image_name), "rb") as file:
                checked = check_image(file.read(), max_pixels)
            image = Image.open(io.BytesIO(checked.data))
            buffer = io.BytesIO()
            align_face(image, face.landmarks, size).save(buffer, format="PNG")
        except ImageRejected as error:
            outcomes.append(Skipped(face.source, error.reason, error.detail))
            continue
        except OSError as error:
            outcomes.append(Skipped(face.source, "unreadable file", str(error)))
            continue
        except ValueError as error:  # landmarks that fit no similarity (all equal, collinear)
            outcomes.append(Skipped(face.source, "degenerate landmarks", str(error)))
            continue
        changes = tuple(change for change in (checked.change, f"aligned to {size}x{size} by 5 landmarks") if change)
        outcomes.append(ConvertedTemplateFace(face.source, buffer.getvalue(), face.template, face.media,
                                              face.detector_score, face.image_name.encode("utf-8"), changes))
    return outcomes
