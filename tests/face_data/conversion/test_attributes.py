"""Face attributes: an --attributes CSV by identity or by image, written into the face records."""

import os

import pytest

from face_data.conversion import cli
from face_data.conversion.attributes import read_attributes
from face_data.records import contract
from face_data.records.reading import read_face_records
from tests.face_data import face_fixtures as fx


def _folder(root):
    for identity in ("ann", "bob", "cy"):
        os.makedirs(root / identity)
        for number in (1, 2):
            (root / identity / f"{number}.png").write_bytes(fx.png(number))
    return root


def _attributes_of(output_dir):
    paths = sorted(str(path) for path in output_dir.glob("faces-*"))
    return {record.label: dict(record.attributes) for _, record in read_face_records(paths)}


def test_attributes_by_identity_reach_every_face_and_unknown_ones_are_empty(tmp_path):
    (tmp_path / "by_identity.csv").write_text("identity,region,age_band\nann,north,30-39\nbob,south,20-29\n")
    cli.main(["folder", str(_folder(tmp_path / "in")), str(tmp_path / "out"), "--labels", "name", "--quiet",
              "--attributes", str(tmp_path / "by_identity.csv")])
    assert _attributes_of(tmp_path / "out") == {
        b"ann": {"region": b"north", "age_band": b"30-39"},
        b"bob": {"region": b"south", "age_band": b"20-29"},
        b"cy": {"region": b"", "age_band": b""},
    }


def test_attributes_by_image_and_the_record_contract(tmp_path):
    (tmp_path / "by_image.csv").write_text("image,lighting\nann/1.png,dark\n")
    table = read_attributes(str(tmp_path / "by_image.csv"))
    assert table.lookup(0, "ann/1.png") == {"lighting": "dark"} and table.lookup(0, "ann/2.png") == {"lighting": ""}
    example = contract.make_face_example(fx.png(1), 3, attributes={"lighting": "dark"})
    assert contract.parse_face_example(example.SerializeToString()).attributes == {"lighting": b"dark"}
    assert contract.parse_face_example(contract.make_face_example(fx.png(1), 3).SerializeToString()).attributes == {}


@pytest.mark.parametrize("text, message", [
    ("person,region\nann,north\n", "expected a header 'identity,<attribute>,...'"),
    ("identity,region\nann,north,extra\n", "line 2: expected 2 values, got 3"),
    ("identity,region\nann,north\nann,south\n", "line 3: identity 'ann' appears twice"),
])
def test_a_bad_attributes_file_is_named_with_its_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        read_attributes(str(path))
    assert str(path) in str(error.value)
