"""Reads an image folder laid out as `root/<identity>/<image>` (JPEG, PNG, BMP, PGM, TIFF...).

Identities are the sub-folders of `root`, in natural order (`s2` before `s10`); images are the
files inside each, in natural order. Nothing is followed out of `root`: an identity folder or an
image that is a link leading outside it is skipped, as are hidden entries, loose files in `root`,
folders nested deeper, and entries that are not regular files (pipes, dangling links). Labels are
the identity's position in that order (`label_scheme="index"`, 0..N-1) or its folder name as UTF-8
bytes (`"name"`). Images are stored as they are or, given `aligned_size`, as the aligned face of
each photo (`photos.align_photo`); only then do the workers import TensorFlow, to detect faces.

Example:
    >>> items, skipped, names = list_image_folder("/work/shared/faces/orl")
    >>> items[0], names[:3]
    (FolderImage(path='/work/shared/faces/orl/s1/1.pgm', source='s1/1.pgm', label=0), ['s1', 's2', 's3'])
"""

import dataclasses
import os
import re
from typing import List, Optional, Tuple

from face_data.conversion.files import FOLDER, not_a_file
from face_data.conversion.images import MAX_PIXELS, ImageRejected, check_image
from face_data.conversion.outcomes import Converted, Label, Skipped
from face_data.alignment.photos import align_photo

LABEL_SCHEMES = ("index", "name")


@dataclasses.dataclass(frozen=True)
class FolderImage:
    """One image file to convert: its path, its name relative to the root, its identity label."""

    path: str
    source: str
    label: Label


def natural_key(name: str):
    """Sort key that orders digit runs by value: `sorted(["s10", "s2"], key=natural_key) == ["s2", "s10"]`."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)]


def _inside(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([real, root]) == root


def _entries(folder: str):
    with os.scandir(folder) as scan:
        return sorted(scan, key=lambda entry: natural_key(entry.name))


def list_image_folder(root: str, label_scheme: str = "index") -> Tuple[List[FolderImage], List[Skipped], List[str]]:
    """Lists the images of `root`: (images to convert, entries skipped and why, identity names).

    Raises ValueError if `root` is not a folder or holds no image file in an identity folder.
    """
    if label_scheme not in LABEL_SCHEMES:
        raise ValueError(f"label_scheme: expected one of {LABEL_SCHEMES}, got {label_scheme!r}")
    if not os.path.isdir(root):
        raise ValueError(f"{root}: expected a folder of identity folders (root/<identity>/<image>), "
                         "but it is not a folder")
    real_root = os.path.realpath(root)
    images, skipped, names = [], [], []
    for identity in _entries(root):
        why = not_a_file(identity.path)  # FOLDER for an identity folder; DirEntry.is_dir() raises on a link loop
        if identity.name.startswith("."):
            skipped.append(Skipped(identity.name, "hidden entry", "names starting with '.' are ignored"))
        elif why is None:
            skipped.append(Skipped(identity.name, "not in an identity folder",
                                   "files directly in the root have no identity"))
        elif why != FOLDER:  # a link loop, a dangling link, a pipe
            skipped.append(Skipped(identity.name, "not a regular file", why))
        elif not _inside(identity.path, real_root):
            skipped.append(Skipped(identity.name, "outside the root folder",
                                   f"links to {os.path.realpath(identity.path)}"))
        else:
            label = len(names) if label_scheme == "index" else identity.name.encode("utf-8")
            found = _list_identity(identity, label, real_root, images, skipped)
            if found:
                names.append(identity.name)
            else:
                skipped.append(Skipped(identity.name + "/", "empty identity folder", "no image file in it"))
    if not images:
        raise ValueError(f"{root}: found no image file in an identity folder (expected root/<identity>/<image>); "
                         f"{len(skipped)} entries skipped")
    return images, skipped, names


def _list_identity(identity, label, real_root, images, skipped) -> int:
    found = 0
    for entry in _entries(identity.path):
        source = f"{identity.name}/{entry.name}"
        if entry.name.startswith("."):
            skipped.append(Skipped(source, "hidden entry", "names starting with '.' are ignored"))
            continue
        why = not_a_file(entry.path)  # reading a FIFO would wait for a writer for ever
        if why == FOLDER:
            skipped.append(Skipped(source, "nested folder", "only root/<identity>/<image> is read"))
        elif not _inside(entry.path, real_root):
            skipped.append(Skipped(source, "outside the root folder", f"links to {os.path.realpath(entry.path)}"))
        elif why:
            skipped.append(Skipped(source, "not a regular file", why))
        else:
            images.append(FolderImage(entry.path, source, label))
            found += 1
    return found


def _face(image: FolderImage, data: bytes, max_pixels: int, aligned_size: Optional[int]) -> Converted:
    if aligned_size:
        aligned = align_photo(data, aligned_size, max_pixels)
        return Converted(image.source, aligned.data, image.label, aligned.changes, aligned.notices(image.source))
    checked = check_image(data, max_pixels)
    return Converted(image.source, checked.data, image.label, checked.notes)


def read_folder_images(images: List[FolderImage], max_pixels: int = MAX_PIXELS,
                       aligned_size: Optional[int] = None) -> list:
    """Worker: reads and checks each image file, or aligns its face given `aligned_size`; returns
    Converted or Skipped outcomes in order."""
    outcomes = []
    for image in images:
        try:
            with open(image.path, "rb") as file:
                outcomes.append(_face(image, file.read(), max_pixels, aligned_size))
        except ImageRejected as error:
            outcomes.append(Skipped(image.source, error.reason, error.detail))
        except OSError as error:
            outcomes.append(Skipped(image.source, "unreadable file", str(error)))
    return outcomes
