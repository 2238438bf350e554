"""The HTML report's failure-case section, from what the evaluator writes into a ModelEvaluation."""

import base64
import io
import re

import numpy as np
from PIL import Image

from components.embedding_evaluator import catalog, failure_cases
from inspection import failure_cases_html


def _png(shade: int, size=(92, 112)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full(size[::-1], shade, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_each_pair_is_shown_as_two_thumbnails_with_its_similarity(tmp_path):
    shipped = {"threshold": 0.5, "threshold_name": catalog.SHIPPED_THRESHOLD}
    cases = {"eval": {**shipped, "false_accepts": [0.91, 0.72], "false_rejects": []},
             "lfw": {**shipped, "false_accepts": [], "false_rejects": [0.12]}}
    images = {"eval": {"false_accepts": [(_png(10), _png(20), 3, 7), (_png(30), _png(40), b"<ann>", b"bob")],
                       "false_rejects": []},
              "lfw": {"false_accepts": [], "false_rejects": [(_png(50), _png(60), None, None)]}}
    failure_cases.write(str(tmp_path), cases, images)
    html = failure_cases_html.section(str(tmp_path))
    assert html.count("<figure") == 3 and html.count("<img") == 6
    assert "eval: hardest false accepts (different people, accepted), shipped threshold 0.5000" in html
    assert "lfw: hardest false rejects (one person, rejected), shipped threshold 0.5000" in html
    assert html.count("<p>none</p>") == 2  # eval has no false reject, lfw no false accept
    assert "0.9100<br>3 / 7" in html and "&lt;ann&gt; / bob" in html and "0.1200</figcaption>" in html
    # The thumbnails are embedded (a self-contained report), at most 112 pixels a side.
    first = re.search(r'src="data:image/png;base64,([^"]+)"', html)[1]
    with Image.open(io.BytesIO(base64.b64decode(first))) as image:
        assert max(image.size) <= failure_cases.THUMBNAIL_SIZE and image.getpixel((0, 0)) == 10


def test_with_the_operating_point_refused_no_threshold_is_called_shipped(tmp_path):
    # Nothing was pushed: the failures are shown at the most accurate threshold, and called so.
    cases = {"eval": {"threshold": 0.325, "threshold_name": catalog.UNSHIPPED_THRESHOLD, "false_accepts": [0.4],
                      "false_rejects": []}}
    failure_cases.write(str(tmp_path), cases, {"eval": {"false_accepts": [(_png(10), _png(20), 1, 2)],
                                                        "false_rejects": []}})
    html = failure_cases_html.section(str(tmp_path))
    assert "shipped threshold" not in html.replace(catalog.UNSHIPPED_THRESHOLD, "")
    assert f"At the {catalog.UNSHIPPED_THRESHOLD}" in html and f"{catalog.UNSHIPPED_THRESHOLD} 0.3250" in html


def test_an_evaluation_without_failure_cases_has_no_section(tmp_path):
    assert failure_cases_html.section(str(tmp_path)) == ""
