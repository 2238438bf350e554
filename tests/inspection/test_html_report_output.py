"""`python -m inspection.html_report --output`: missing folders are made, a path under a file is one line."""

import os

import pytest

from inspection import html_report, metadata

REPO_CONFIG = "configs/local.yaml"


@pytest.fixture
def rendered(monkeypatch):
    """The command with a report rendered without a store: only where it goes is tested here."""
    monkeypatch.setattr(metadata, "open_store", lambda config: None)
    monkeypatch.setattr(html_report, "render", lambda config, store, run: "<html>report</html>")


def test_missing_folders_of_the_output_are_made(rendered, tmp_path, capsys):
    output = tmp_path / "reports" / "nightly" / "run.html"
    assert html_report.main(["--config", REPO_CONFIG, "--output", str(output)]) == 0
    assert output.read_text() == "<html>report</html>"
    assert capsys.readouterr().out == f"wrote {output}\n"
    assert os.listdir(output.parent) == ["run.html"]  # the temporary file renamed, none left


@pytest.mark.parametrize("where, named, reason", [
    ("file.txt/run.html", "file.txt", "expected a folder to write the report in, got a file"),
    ("file.txt/deeper/run.html", "file.txt", "expected a folder to write the report in, got a file"),
    ("folder", "folder", "expected an HTML file name, got a folder")])
def test_an_output_that_cannot_be_written_is_one_line(rendered, tmp_path, capsys, where, named, reason):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    (tmp_path / "folder").mkdir()
    assert html_report.main(["--config", REPO_CONFIG, "--output", str(tmp_path / where)]) == 1
    err = capsys.readouterr().err
    assert err == f"python -m inspection.html_report: error: {tmp_path / named}: {reason}\n"
    assert sorted(os.listdir(tmp_path)) == ["file.txt", "folder"] and os.listdir(tmp_path / "folder") == []
