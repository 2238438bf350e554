"""Reads LFW-style verification pairs: a `pairs.txt` and the image folder it names.

`pairs.txt` lines, tab- or space-separated, after an optional header of one or two integers
(LFW's `10 300`: folds and pairs per fold):

- `name  n1  n2`          a same pair: images n1 and n2 of `name`;
- `name1 n1  name2  n2`   a different pair.

A header of two integers, F folds of P pairs (LFW's `10 300`), defines folds: the file then
holds F blocks of P same pairs followed by P different pairs, and with F >= 2 every pair keeps
its fold (0..F-1), which the evaluation's accuracy uses instead of folds of its own. A file that does
not hold what its header says is refused.

Image n of `name` is `root/` + `image_pattern.format(name=name, number=n)`, by default
`name/name_0001.jpg` as in LFW. A name that is not a plain folder name (`../x`, `a/b`, `.x`)
stops the conversion with the line; an image that is missing, or a link leading out of `root`,
skips its pair, as does a photo without a face when the faces are aligned (`aligned_size`: see
`photos.align_photo`; only then is TensorFlow imported, to detect faces).

Example:
    >>> pairs = parse_pairs_file("lfw/pairs.txt")
    >>> pairs[0]
    LfwPair(line=2, name_a='Abel_Pacheco', number_a=1, name_b='Abel_Pacheco', number_b=4, is_same=True, fold=0)
"""

import dataclasses
import os
from typing import List, Optional, Tuple

from face_data.conversion.images import MAX_PIXELS, ImageRejected, check_pair_image
from face_data.conversion.outcomes import ConvertedPair, Skipped
from face_data.alignment.photos import align_photo

DEFAULT_IMAGE_PATTERN = "{name}/{name}_{number:04d}.jpg"


@dataclasses.dataclass(frozen=True)
class LfwPair:
    """One line of a pairs file."""

    line: int
    name_a: str
    number_a: int
    name_b: str
    number_b: int
    is_same: bool
    fold: Optional[int] = None  # from the header's folds; None when it defines none


def _check_name(name: str, where: str) -> str:
    if not name or name.startswith(".") or any(character in name for character in "/\\\0"):
        raise ValueError(f"{where}: identity name {name!r} is not a plain folder name; "
                         "path traversal is refused")
    return name


def _number(text: str, where: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{where}: expected an image number, got {text!r}")
    return int(text)


def parse_pairs_file(path: str) -> List[LfwPair]:
    """Parses a pairs file; raises ValueError naming the file and line of anything malformed."""
    pairs = []
    with open(path, "r", encoding="utf-8") as file:
        lines = [(number, line.split()) for number, line in enumerate(file, start=1) if line.strip()]
    header = []
    if lines and len(lines[0][1]) <= 2 and all(field.isdigit() for field in lines[0][1]):
        header = [int(field) for field in lines[0][1]]
        lines = lines[1:]  # the header: folds and pairs per fold, or a pair count
    for number, fields in lines:
        where = f"{path} line {number}"
        if len(fields) == 3:
            name = _check_name(fields[0], where)
            pairs.append(LfwPair(number, name, _number(fields[1], where), name, _number(fields[2], where), True))
        elif len(fields) == 4:
            pairs.append(LfwPair(number, _check_name(fields[0], where), _number(fields[1], where),
                                 _check_name(fields[2], where), _number(fields[3], where), False))
        else:
            raise ValueError(f"{where}: expected 'name n1 n2' or 'name1 n1 name2 n2', got {' '.join(fields)!r}")
    if not pairs:
        raise ValueError(f"{path}: the pairs file lists no pair")
    return _with_folds(pairs, header, path) if len(header) == 2 else pairs


def _with_folds(pairs: List[LfwPair], header: List[int], path: str) -> List[LfwPair]:
    """Each pair with its fold, after checking the file holds the F x (P same + P different) pairs it says."""
    num_folds, per_fold = header
    block = 2 * per_fold
    if len(pairs) != num_folds * block:
        raise ValueError(f"{path}: the header '{num_folds} {per_fold}' says {num_folds} folds of {per_fold} same and "
                         f"{per_fold} different pairs ({num_folds * block} pairs); the file lists {len(pairs)}")
    for index, pair in enumerate(pairs):
        expected_same = index % block < per_fold
        if pair.is_same != expected_same:
            raise ValueError(f"{path} line {pair.line}: expected a {'same' if expected_same else 'different'} pair "
                             f"(fold {index // block + 1} of the header's {num_folds}: {per_fold} same, then "
                             f"{per_fold} different), got a {'same' if pair.is_same else 'different'} one")
    if num_folds < 2:  # one fold cannot fit a threshold on the others: the evaluation deals its own
        return pairs
    return [dataclasses.replace(pair, fold=index // block) for index, pair in enumerate(pairs)]


def pair_paths(root: str, pair: LfwPair, image_pattern: str = DEFAULT_IMAGE_PATTERN) -> Tuple[str, str]:
    """The image files of `pair` under `root`."""
    try:
        return tuple(os.path.join(root, image_pattern.format(name=name, number=number))
                     for name, number in ((pair.name_a, pair.number_a), (pair.name_b, pair.number_b)))
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"image_pattern {image_pattern!r}: expected a pattern using {{name}} and {{number}}, "
                         f"e.g. {DEFAULT_IMAGE_PATTERN!r} ({type(error).__name__}: {error})") from error


def _read(path: str, which: str, real_root: str, max_pixels: int, aligned_size: Optional[int], source: str):
    """(image bytes, changes, notices) of image `which` ("a" or "b") of the pair at `source`."""
    if os.path.commonpath([os.path.realpath(path), real_root]) != real_root:
        raise ImageRejected("outside the root folder", f"image {which}: {path} links to {os.path.realpath(path)}")
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError as error:
        raise ImageRejected("missing image", f"image {which}: no file {path}") from error
    except OSError as error:
        raise ImageRejected("unreadable file", f"image {which}: {error}") from error
    if not aligned_size:
        checked = check_pair_image(data, which, max_pixels)
        return checked.data, checked.notes, ()
    try:
        aligned = align_photo(data, aligned_size, max_pixels)
    except ImageRejected as error:
        raise ImageRejected(error.reason, f"image {which}: {error.detail}") from error
    return aligned.data, aligned.changes, aligned.notices(f"{source} image {which}")


def read_lfw_pairs(pairs: List[Tuple[str, str, str, LfwPair]], root: str, max_pixels: int = MAX_PIXELS,
                   aligned_size: Optional[int] = None) -> list:
    """Worker: reads (source, path_a, path_b, pair) image files, aligning their faces given
    `aligned_size`; ConvertedPair or Skipped, in order."""
    real_root = os.path.realpath(root)
    outcomes = []
    for source, path_a, path_b, pair in pairs:
        try:
            (image_a, changes_a, notices_a), (image_b, changes_b, notices_b) = (
                _read(path, which, real_root, max_pixels, aligned_size, source)
                for which, path in (("a", path_a), ("b", path_b)))
        except ImageRejected as error:
            outcomes.append(Skipped(source, error.reason, error.detail))
            continue
        outcomes.append(ConvertedPair(source, image_a, image_b, pair.is_same, pair.name_a.encode("utf-8"),
                                      pair.name_b.encode("utf-8"), changes_a + changes_b, pair.fold,
                                      notices_a + notices_b))
    return outcomes
