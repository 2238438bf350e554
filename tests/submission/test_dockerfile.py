"""The pipeline image's recipe (no Docker engine here to build it): pins from the lock, all the code.

Kubeflow / Vertex import every executor from this image, so it must hold each package of
pyproject.toml and exactly the versions the tests ran with.
"""

import re
import sys
import tomllib
from pathlib import Path

from console import quiet

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def _lock_pin(package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==(\S+)$", (REPO / "requirements.lock").read_text(), re.M)
    assert match, f"{package} is not pinned in requirements.lock"
    return match.group(1)


def _arg(name: str) -> str:
    return re.search(rf"^ARG {name}=(\S+)$", DOCKERFILE, re.M).group(1)


def test_python_packages_come_from_the_lock_file_only():
    assert "--no-deps -r /tmp/requirements.lock" in DOCKERFILE
    assert "COPY requirements.lock /tmp/requirements.lock" in DOCKERFILE
    assert len(re.findall(r"pip install", DOCKERFILE)) == 1  # nothing installed besides the lock


def test_base_image_matches_the_environment_the_lock_was_made_for():
    # Same Python minor version as this environment, and Debian 13 (glibc 2.41 >= the 2.39 tfx needs).
    assert _arg("PYTHON_IMAGE") == f"python:{sys.version_info.major}.{sys.version_info.minor}-slim-trixie"
    # Dataflow workers boot with the Beam release the pipeline's Beam speaks to.
    assert _arg("BEAM_VERSION") == _lock_pin("apache-beam")
    assert f"FROM apache/beam_python{sys.version_info.major}.{sys.version_info.minor}_sdk:${{BEAM_VERSION}}" in DOCKERFILE


def test_every_package_of_the_project_is_copied_and_not_ignored():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    for package in packages:
        assert f"COPY {package}/ {package}/" in DOCKERFILE, package
        assert f"!{package}/" in ignore, package
    assert "PYTHONPATH=/pipeline" in DOCKERFILE and "WORKDIR /pipeline" in DOCKERFILE


def test_the_image_sets_the_environment_the_command_lines_set_before_tensorflow_loads():
    # Components start through TFX's entry points, which never call console.quiet.start().
    for name, value in quiet.TENSORFLOW_ENVIRONMENT.items():
        assert re.search(rf"^\s+{name}={value}$", DOCKERFILE, re.M), name
