"""Raw photos -> aligned faces, on photos made from ORL faces (`pasted_photos`, made here, never
stored): found, aligned like the ORL face itself, the main face of several kept, and photos without
a face refused."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.face_data import face_fixtures as fx
from face_data.alignment.detection import DetectedFace, FaceDetector, main_face
from face_data.conversion.images import ImageRejected
from face_data.alignment.photos import NO_FACE, SEVERAL_FACES, align_photo, process_detector
from face_data.synthetic.pasted_photos import background, encode_photo, paste_face, paste_into

PHOTOS = 40
# Every third photo is stored rotated or mirrored with an EXIF orientation tag, a few as PNG.
ORIENTATIONS = (1, 1, 6, 1, 1, 8, 1, 1, 3, 1, 1, 2, 1, 1, 5, 1, 1, 7, 1, 1, 4)


def orl_faces(orl_dir: str, count: int, seed: int):
    """`count` ORL images: one of each person in turn, of a random pose."""
    rng = np.random.default_rng(seed)
    return [f"{orl_dir}/s{person % 40 + 1}/{rng.integers(1, 11)}.pgm" for person in range(count)]


@pytest.fixture(scope="module")
def photos(orl_dir):
    """[(ORL path, Pasting, encoded photo)] for PHOTOS faces of all 40 people."""
    rng = np.random.default_rng(15)
    made = []
    for number, path in enumerate(orl_faces(orl_dir, PHOTOS, seed=15)):
        pasting = paste_face(Image.open(path), rng)
        orientation = ORIENTATIONS[number % len(ORIENTATIONS)]
        made.append((path, pasting, encode_photo(pasting.photo, orientation, "PNG" if number % 7 == 3 else "JPEG")))
    return made


@pytest.fixture(scope="module")
def aligned(photos):
    """align_photo of each photo (None where no face was found) and of its ORL original."""
    def attempt(data):
        try:
            return align_photo(data)
        except ImageRejected as error:
            assert error.reason == NO_FACE, error
            return None

    return [(attempt(open(path, "rb").read()), attempt(data)) for path, _, data in photos]


def test_faces_are_found_in_at_least_95_percent_of_the_photos(photos, aligned):
    missed = [(path, round(pasting.scale, 2), round(pasting.angle, 1))
              for (path, pasting, _), (_, photo) in zip(photos, aligned) if photo is None]
    assert len(missed) <= 0.05 * PHOTOS, f"no face found in {len(missed)} of {PHOTOS} photos: {missed}"
    assert all(photo.faces_found == 1 for _, photo in aligned if photo is not None)


def test_a_pasted_face_aligns_like_the_orl_face_itself(photos, aligned):
    # The ORL face's eyes, carried into the photo by the pasting and then by the photo's alignment,
    # land within 3 px (at 112x112) of where the ORL face's own alignment puts them.
    errors = [(pasting.eye_error(original.landmarks, photo.landmarks), path, pasting.scale, pasting.angle)
              for (path, pasting, _), (original, photo) in zip(photos, aligned) if original and photo]
    assert len(errors) >= 0.9 * PHOTOS
    assert max(errors)[0] <= 3.0, f"eyes off by more than 3 px: {[error for error in errors if error[0] > 3]}"
    original, photo = (Image.open(io.BytesIO(face.data)) for face in aligned[0])
    assert (original.format, original.mode, original.size) == ("PNG", "L", (112, 112))  # grayscale stays grayscale
    assert (photo.format, photo.mode, photo.size) == ("PNG", "RGB", (112, 112))


def test_a_pasted_face_keeps_its_own_surroundings_whatever_the_backdrop(orl_dir):
    # The aligned crop of an ORL face reaches up to a third of its width beyond the tight frame:
    # there every photo of the face shows its surroundings, whatever backdrop it was pasted on.
    face = Image.open(f"{orl_dir}/s1/1.pgm")
    first, second = (np.asarray(paste_into(background(400, 400, np.random.default_rng(seed)), face, 1.0, 0.0,
                                           (200, 200)).photo, dtype=int) for seed in (1, 2))
    reach = round(0.35 * 112)  # beyond the frame, x 154-245 and y 144-255: its sides and above and below it
    for around in (np.s_[144:256, 154 - reach:246 + reach], np.s_[144 - reach:256 + reach, 154:246]):
        np.testing.assert_array_equal(first[around], second[around])
    assert np.abs(first[:40, :40] - second[:40, :40]).mean() > 10  # the backdrops do differ


def test_of_two_faces_the_larger_more_central_one_is_kept_and_said(orl_dir):
    rng = np.random.default_rng(3)
    big, small = Image.open(f"{orl_dir}/s5/1.pgm"), Image.open(f"{orl_dir}/s9/1.pgm")
    photo = background(700, 500, rng)
    first = paste_into(photo, small, 0.9, -8.0, (110, 120))
    second = paste_into(first.photo, big, 1.6, 12.0, (400, 260))
    aligned = align_photo(encode_photo(second.photo))
    assert aligned.faces_found == 2 and aligned.notices("group.jpg")[0].what == SEVERAL_FACES
    assert aligned.notices("group.jpg")[0].detail == "2 faces"
    # The kept face is the big one: its landmarks lie where the big face's ORL eyes went.
    orl_eyes = align_photo(open(f"{orl_dir}/s5/1.pgm", "rb").read()).landmarks[:2]
    assert np.abs(aligned.landmarks[:2] - second.to_photo(orl_eyes)).max() < 6


def test_a_photo_without_a_face_and_a_corrupt_file_are_refused_with_the_reason():
    empty = encode_photo(background(400, 300, np.random.default_rng(4)))
    with pytest.raises(ImageRejected, match="no face found: MTCNN found no face in the 400x300 photo") as caught:
        align_photo(empty)
    assert caught.value.reason == NO_FACE
    with pytest.raises(ImageRejected, match="JPEG does not decode") as caught:
        align_photo(fx.jpeg(10)[:-100])
    assert caught.value.reason == "corrupt image"


# Plain MTCNN prints a harmless message while loading its weights (see detection.py).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_detector_finds_what_plain_mtcnn_finds(orl_dir):
    # FaceDetector runs mtcnn's networks as TensorFlow graphs: same faces as mtcnn's own eager calls.
    from mtcnn import MTCNN

    pixels = np.asarray(Image.open(f"{orl_dir}/s1/1.pgm").convert("RGB"))
    (face,) = process_detector().detect(pixels)
    (row,) = MTCNN().detect_faces(pixels, box_format="xyxy", output_type="numpy")
    np.testing.assert_allclose(face.box, row[1:5], atol=1e-3)
    np.testing.assert_allclose(face.landmarks, np.stack([row[6:11], row[11:16]], axis=1), atol=1e-3)
    assert face.landmarks[0, 0] < face.landmarks[1, 0]  # the left eye, as seen, comes first


def test_large_photos_are_searched_at_1024_pixels_and_mapped_back(orl_dir):
    pasting = paste_face(Image.open(f"{orl_dir}/s2/1.pgm"), np.random.default_rng(5), scale=5.0, angle=0.0,
                         photo_size=(1600, 1200), centre=(1000, 500))
    (face,) = FaceDetector(max_side=1024).detect(np.asarray(pasting.photo))
    (reference,) = process_detector().detect(np.asarray(Image.open(f"{orl_dir}/s2/1.pgm").convert("RGB")))
    # Within 3 ORL pixels: what one pixel of the search at 1024/1600 of the size can resolve at 5x.
    np.testing.assert_allclose(face.landmarks, pasting.to_photo(reference.landmarks), atol=5 * 3)


def test_main_face_prefers_size_then_closeness_to_the_centre():
    def face(x1, y1, x2, y2):
        return DetectedFace(np.array([x1, y1, x2, y2], np.float32), 0.99, np.zeros((5, 2), np.float32))

    central, big_corner, small = face(180, 130, 220, 170), face(0, 0, 60, 60), face(190, 140, 200, 150)
    assert main_face([small, central], 400, 300) is central
    # 60x60 in the corner: 3600 - 2 * (170^2 + 120^2) < 1600 - 0 for the 40x40 face in the centre.
    assert main_face([big_corner, central], 400, 300) is central
    assert main_face([big_corner, small], 80, 80) is big_corner
    with pytest.raises(ValueError, match="at least one face"):
        main_face([], 10, 10)
