"""The HTML report of the session's tiny run, rendered by headless Chromium from a file: not blank.

Needs Debian's chromium. The browser gets no network and a fresh profile; the page must show
everything from the file alone.
"""

import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

from components.embedding_evaluator import plots
from inspection import html_report

pytestmark = pytest.mark.pipeline

WIDTH, HEIGHT = 1280, 6000  # tall enough for the whole report of the tiny run
BAR_COLOUR = (0x3B, 0x7D, 0xD8)  # .bar in html_report.STYLE: the components' timeline
ACCURACY_COLOUR = (0xFF, 0x7F, 0x0E)  # the accuracy curve (html_sections.training): only there


def screenshot(page, png):
    """Chromium's picture of a local HTML file, as a user's browser would draw it."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
             page.as_uri()],
            capture_output=True, text=True, timeout=180,
        )
    failure = f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    assert done.returncode == 0 and png.exists(), failure
    return np.asarray(Image.open(png).convert("RGB"))


def test_report_renders_in_headless_chromium(tiny_run, tmp_path, capsys):
    config, _ = tiny_run
    page = tmp_path / "report.html"
    html_report.main(["--config", str(config.run_root / "config.yaml"), "--output", str(page)])
    assert capsys.readouterr().out.strip() == f"wrote {page}"

    pixels = screenshot(page, tmp_path / "report.png")
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    ink = np.any(pixels < 200, axis=2)  # text, rules, bars and figures; the page is white
    assert ink.mean() > 0.01, f"only {ink.mean():.2%} of the screenshot is drawn"
    # Drawn from top to bottom, not one stray line: ink in most bands of 100 pixels down to its end,
    # and the end far down: settings, curves, data, metrics and three evaluation figures.
    end = np.flatnonzero(ink.any(axis=1))[-1]
    assert end > 2500, f"the report ends at {end} pixels"
    bands_with_ink = [ink[top : top + 100].any() for top in range(0, end, 100)]
    assert sum(bands_with_ink) >= 0.75 * len(bands_with_ink), bands_with_ink
    timeline = np.all(pixels == BAR_COLOUR, axis=2)
    assert timeline.sum() > 500, "the components' timeline bars were not drawn: the styles did not apply"
    # The figures were drawn, not broken images: the training curves' accuracy line, and the red
    # of the shipped threshold's point on the ROC (and of identities that do not stand apart).
    assert _near(pixels, ACCURACY_COLOUR) > 200, "no training curves"
    assert _near(pixels, _rgb(plots.POINT_COLOUR)) > 100, "no threshold marked on the ROC"


def _rgb(colour: str):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _near(pixels, colour) -> int:
    """Pixels within 25 of `colour` in every channel: anti-aliasing blends a figure's lines with white."""
    return int((np.abs(pixels.astype(int) - colour).max(axis=2) <= 25).sum())
