"""The ORL faces convert: 40 people x 10 grayscale PGM images.

The ORL face database was taken between 1992 and 1994 at the Olivetti Research Laboratory in
Cambridge, UK; credit to the Olivetti Research Laboratory (AT&T Laboratories Cambridge), as its
README asks. The faces are read in place (the `orl_dir` fixture, tests/conftest.py), never copied.
"""

import io
import os

import numpy as np
from PIL import Image

from face_data.conversion.writing import OutputOptions
from face_data.conversion.converters import convert_image_folder
from face_data.records.reading import read_face_records

def test_orl_converts_every_face_with_its_exact_pixels(tmp_path, orl_dir):
    summary = convert_image_folder(orl_dir, OutputOptions(tmp_path, show_progress=False))
    assert summary.written == 400 and summary.identities == 40
    assert summary.label_names == [f"s{number}" for number in range(1, 41)]
    assert summary.notes == {"re-encoded PPM L 8-bit as PNG L": 400}
    assert [(s.source, s.reason) for s in summary.skipped] == [("README", "not in an identity folder")]
    records = [record for _, record in read_face_records(summary.shards)]
    for position, record in enumerate(records):
        person, image = divmod(position, 10)
        assert record.label == person
        original = np.asarray(Image.open(os.path.join(orl_dir, f"s{person + 1}", f"{image + 1}.pgm")))
        converted = Image.open(io.BytesIO(record.image))
        assert (converted.format, converted.mode, converted.size) == ("PNG", "L", (92, 112))
        np.testing.assert_array_equal(np.asarray(converted), original)
