"""A small set in IJB-C's released layout made from face crops, whose landmarks are known by construction.

For tests and examples of `python -m face_data ijb` and the evaluator's `ijb` sets, without IJB
itself. Each face crop is pasted into a photo of its own (`pasted_photos.paste_face`: moved,
scaled, turned), and the crop's five landmarks, carried into the photo by the pasting, are what
`NAME_name_5pts_score.txt` says; the detector score is drawn. Each subject has two templates: an
enrolment one (the first half of its crops) and a probe one (the rest); in each, the first two
crops are frames of one video (one medium), the others photos of their own. The 1:1 pairs are
every enrolment template against every probe template (same subject: label 1). For 1:N, the
enrolment templates of every other subject form gallery G1, the rest G2, and every probe
template is searched in both (mated in one, non-mated in the other).

Example:
    >>> faces = {subject: [Image.open(f"orl/s{subject}/{n}.pgm") for n in range(1, 7)] for subject in range(1, 21)}
    >>> write_ijb_release("ijb", faces, ORL_LANDMARKS, np.random.default_rng(0))
    >>> sorted(os.listdir("ijb/meta"))[:2]
    ['ijbc_1N_gallery_G1.csv', 'ijbc_1N_gallery_G2.csv']
"""

import os
from typing import Dict, List

import numpy as np
from PIL import Image

from face_data.synthetic.pasted_photos import encode_photo, paste_face

# Where the eyes, nose tip and mouth corners (as seen) sit in an ORL crop (92x112), about: close
# enough for alignment to keep the face in frame; every pasted copy carries the same points.
ORL_LANDMARKS = np.array([[31.0, 52.0], [61.0, 52.0], [46.0, 68.0], [34.0, 86.0], [58.0, 86.0]])
SCALES = (0.7, 1.3)
MAX_ANGLE = 15.0


def _write_lines(path: str, lines: List[str]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def write_ijb_release(root: str, faces: Dict[int, List[Image.Image]], landmarks: np.ndarray,
                      rng: np.random.Generator, name: str = "ijbc") -> None:
    """Writes `root/meta/` and `root/loose_crop/` for `faces` {subject id: crops (at least 2)}."""
    os.makedirs(os.path.join(root, "meta"), exist_ok=True)
    os.makedirs(os.path.join(root, "loose_crop"), exist_ok=True)
    tid_mid, points, subject_rows = [], [], {}
    media = 0
    for index, (subject, crops) in enumerate(sorted(faces.items())):
        if len(crops) < 2:
            raise ValueError(f"subject {subject}: expected at least 2 crops (an enrolment and a probe), got {len(crops)}")
        halves = (crops[:len(crops) // 2], crops[len(crops) // 2:])
        for role, part in enumerate(halves):
            template = 2 * index + 1 + role  # odd: enrolment, even: probe
            for number, crop in enumerate(part):
                media += number != 1  # crops 0 and 1 are frames of one video
                image_name = f"{len(tid_mid) + 1}.jpg"
                pasting = paste_face(crop, rng, scale=rng.uniform(*SCALES), angle=rng.uniform(-MAX_ANGLE, MAX_ANGLE))
                with open(os.path.join(root, "loose_crop", image_name), "wb") as file:
                    file.write(encode_photo(pasting.photo))
                tid_mid.append(f"{image_name} {template} {media}")
                coordinates = " ".join(f"{value:.3f}" for value in pasting.to_photo(landmarks).ravel())
                points.append(f"{image_name} {coordinates} {rng.uniform(0.6, 1.0):.4f}")
                subject_rows.setdefault((role, index % 2), []).append(f"{template},{subject},{image_name}")
    enrolment = range(1, 2 * len(faces), 2)
    probes = range(2, 2 * len(faces) + 1, 2)
    _write_lines(os.path.join(root, "meta", f"{name}_face_tid_mid.txt"), tid_mid)
    _write_lines(os.path.join(root, "meta", f"{name}_name_5pts_score.txt"), points)
    _write_lines(os.path.join(root, "meta", f"{name}_template_pair_label.txt"),
                 [f"{first} {second} {int(first + 1 == second)}" for first in enrolment for second in probes])
    header = "TEMPLATE_ID,SUBJECT_ID,FILENAME"
    for gallery in (0, 1):
        _write_lines(os.path.join(root, "meta", f"{name}_1N_gallery_G{gallery + 1}.csv"),
                     [header, *subject_rows[(0, gallery)]])
    _write_lines(os.path.join(root, "meta", f"{name}_1N_probe_mixed.csv"),
                 [header, *subject_rows[(1, 0)], *subject_rows[(1, 1)]])
