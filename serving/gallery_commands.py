"""The gallery commands of `python -m serving`: enrol, remove, identify, list, check (serving/gallery.py holds the
gallery).

    python -m serving enrol FOLDER --gallery GALLERY --model MODEL [--align]
    python -m serving identify PHOTO... --model MODEL [--gallery GALLERY] [-k 5] [--align]
    python -m serving remove PERSON... --gallery GALLERY
    python -m serving list --gallery GALLERY
    python -m serving check --gallery GALLERY

`enrol` reads FOLDER as `<person>/<photos>` (a person's photos may lie in subfolders), embeds
them with MODEL and adds them to GALLERY (made if missing): a person already enrolled gains the
new photos, a photo already enrolled is neither read nor embedded again. It commits every IMAGES_PER_CHUNK
photos, so a killed enrolment keeps what was committed and can be run again. `identify` prints
one tab-separated line per photo: the person (or `unknown` below the threshold), the best
similarity, the threshold, the photo, and the top k as `name:similarity,...`. Without --gallery
it searches the gallery pushed inside the model's version (`<version>/gallery`); the threshold is
the version's identification.json (chosen by FPIR: serving/identification_file.py; without it,
verification.json's, with a note) unless --threshold is given. A gallery refuses, in one line, a
model it was not built with. `check` measures a gallery's approximate index (past
gallery_index.APPROXIMATE_FROM people) on its own photos, as its first build did: after many
changes, a graph may need a longer search list to find what exact search finds.
"""

import os
import sys
from typing import List, Optional

import numpy as np

from face_data.conversion.images import MAX_PIXELS
from face_data.conversion.summary import Skipped, noticed_lines, skipped_lines
from serving import identification_file
from serving.cli import _folder_files, _outcome, checked_images, faces
from serving.gallery import MANIFEST, Gallery, describe
from serving.model_folder import fingerprint
from serving.pushed_model import PushedModel, version_dir

IMAGES_PER_CHUNK = 1024  # photos embedded, then committed, at a time: bounded memory and loss


def _load_model(model: str, runtime: str, gallery: Optional[Gallery], max_pixels: int) -> PushedModel:
    """The pushed model, once the gallery (if any) is known to be its: a refusal costs no model load."""
    folder = version_dir(model)
    if gallery is not None:
        gallery.check_model(fingerprint(folder), os.path.basename(folder))
    return PushedModel(folder, runtime, max_pixels)


def enrol_folder(folder: str, gallery_dir: str, model: str, runtime: str, aligned_size: Optional[int] = None,
                 max_pixels: int = MAX_PIXELS) -> str:
    """Enrols every `<person>/<photo>` under `folder` into the gallery; returns a summary: one line, then one
    per kind of file skipped and of photo with several faces (as `embed`'s)."""
    files = _folder_files(folder)  # refused before the model loads
    existing = Gallery.open(gallery_dir) if os.path.exists(os.path.join(gallery_dir, MANIFEST)) else None
    pushed = _load_model(model, runtime, existing, max_pixels)
    gallery, added, skipped, noticed = existing, 0, [], []
    people, paths, chunk = [], [], []
    enrolled = existing.enrolled_photos() if existing is not None else set()  # not decoded nor embedded again

    def commit():
        nonlocal gallery, added
        embeddings = pushed.embed(chunk)
        if gallery is None:
            gallery = Gallery.create(gallery_dir, os.path.basename(pushed.path), fingerprint(pushed.path),
                                     embeddings.shape[1])
        added += gallery.enrol(people, paths, embeddings)
        people.clear(), paths.clear(), chunk.clear()

    print(f"enrolling the photos of {folder} into {gallery_dir}", file=sys.stderr, flush=True)
    for path in files:
        if os.sep not in path:
            skipped.append(Skipped(path, "not in a person's folder", f"expected {folder}/<person>/<photos>"))
            continue
        person, absolute = path.split(os.sep, 1)[0], os.path.abspath(os.path.join(folder, path))
        if (person, absolute) in enrolled:
            continue
        outcome = _outcome(folder, path, max_pixels, aligned_size)
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
            continue
        people.append(person)
        paths.append(absolute)
        chunk.append(outcome.image)
        noticed += outcome.notices
        if len(chunk) == IMAGES_PER_CHUNK:
            commit()
    if chunk:
        commit()
    if gallery is None:
        raise ValueError(f"{folder}: expected photos in <person>/ folders, found none that decode"
                         + "".join(f"\n{line}" for line in skipped_lines(skipped)))
    photos = len(files) - len(skipped)
    return "\n".join([f"enrolled {added} new photos ({photos - added} already enrolled, {len(skipped)} skipped) "
                      f"into {gallery_dir}: {len(gallery.people)} people, model {describe(gallery.model)}",
                      *skipped_lines(skipped), *noticed_lines(noticed)])


def remove_people(gallery_dir: str, names: List[str]) -> str:
    gallery = Gallery.open(gallery_dir)
    gallery.remove(names)
    return f"removed {', '.join(names)} from {gallery_dir}: {len(gallery.people)} people left"


def list_gallery(gallery_dir: str) -> List[str]:
    """A summary line, then `person<TAB>photos` per enrolled person, sorted."""
    gallery = Gallery.open(gallery_dir)
    people, _, _ = gallery.photos(embeddings=False)
    names, counts = np.unique(people, return_counts=True)
    return [f"{gallery_dir}: {len(names)} people, {len(people)} photos; model {describe(gallery.model)}; "
            + gallery.index_summary(),
            *(f"{name}\t{count}" for name, count in zip(names.tolist(), counts.tolist()))]


def check_gallery(gallery_dir: str) -> str:
    gallery = Gallery.open(gallery_dir)
    gallery.check_index()
    return f"{gallery_dir}: {len(gallery.people)} people; {gallery.index_summary()}"


def identify_photos(photos: List[str], model: str, runtime: str, gallery_dir: Optional[str] = None, k: int = 5,
                    threshold: Optional[float] = None, aligned_size: Optional[int] = None,
                    max_pixels: int = MAX_PIXELS) -> List[str]:
    """One line per photo: who (or unknown), best similarity, threshold, photo, the top k."""
    folder = version_dir(model)
    gallery = Gallery.open(gallery_dir or os.path.join(folder, identification_file.GALLERY_DIR))
    if threshold is None:
        threshold, note = identification_file.read_threshold(folder)
        if note:
            print(f"note: {note}", file=sys.stderr)
    images = checked_images(photos, max_pixels)  # every photo checked before the model loads
    pushed = _load_model(folder, runtime, gallery, max_pixels)
    lines = []
    for path, matches in zip(photos, gallery.search(pushed.embed(faces(images, photos, aligned_size, max_pixels)), k)):
        best, score = matches[0]
        who = best if score >= threshold else "unknown"
        top = ",".join(f"{name}:{similarity:.4f}" for name, similarity in matches)
        lines.append(f"{who}\t{score:.4f}\t{threshold:.4f}\t{path}\t{top}")
    return lines
