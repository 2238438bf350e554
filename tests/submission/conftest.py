"""Fixtures for the Kubeflow / Vertex tests: configs/kubeflow.yaml, its spec written to a temp folder."""

from pathlib import Path

import pytest
import yaml

KUBEFLOW_YAML = Path(__file__).resolve().parents[2] / "configs" / "kubeflow.yaml"


@pytest.fixture(scope="session")
def kubeflow_config(tmp_path_factory):
    """`kubeflow_config(**kubeflow)` -> path of configs/kubeflow.yaml with these `kubeflow` keys
    replaced, in a fresh folder that also receives the compiled spec."""

    def write(**kubeflow):
        folder = tmp_path_factory.mktemp("kubeflow")
        raw = yaml.safe_load(KUBEFLOW_YAML.read_text())
        raw["kubeflow"].update(pipeline_file=str(folder / "pipeline.yaml"), **kubeflow)
        path = folder / "kubeflow.yaml"
        path.write_text(yaml.safe_dump(raw))
        return path

    return write
