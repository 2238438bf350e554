"""The layout's boundaries: the library stands alone, configs load no TensorFlow, packages import one way.

Each import check runs in a fresh interpreter whose meta-path finder refuses the named packages,
as if they were not installed: what the code below needs of them would fail at once.
"""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from bench.startup import COMMAND_LINES

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("arcface_module", "tfx_module", "components", "face_data", "serving", "pipeline", "runners", "inspection",
            "submission", "configs", "console", "bench", "verification", "pretrained")


def _run_without(blocked, code):
    """Runs `code` in a new interpreter in which importing any of `blocked` raises ImportError."""
    script = textwrap.dedent(f"""
        import sys

        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {sorted(blocked)!r}:
                    raise ImportError(f"{{name}} is not importable here")

        sys.meta_path.insert(0, Refuse())
    """) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_library_trains_and_exports_without_tfx_or_the_pipeline():
    blocked = {"tfx", "tensorflow_transform", "tfx_bsl", "apache_beam", "ml_metadata", "tensorflow_data_validation",
               "tfx_module", "components", "face_data", "serving", "pipeline", "inspection", "submission", "configs"}
    out = _run_without(blocked, """
        import numpy as np
        import arcface_module

        backbone = arcface_module.get_backbone("tiny", num_features=8, input_shape=(16, 16, 3))
        head = arcface_module.MarginHead(4, margin=arcface_module.get_margin("sphereface"), scale=8.0)
        model = arcface_module.training_model(backbone, head)
        model.compile(optimizer="sgd")
        model.fit({"images": np.zeros((4, 16, 16, 3)), "labels": np.arange(4)}, verbose=0)
        print(arcface_module.embedding_model(backbone).output_shape)
    """)
    assert out.strip().endswith("(None, 8)")


def test_the_names_and_configs_load_no_tensorflow():
    out = _run_without({"tensorflow", "keras", "jax", "tfx", "apache_beam"}, """
        from arcface_module import catalog
        from components.embedding_evaluator import catalog as metric_names
        from components.embedding_evaluator import report  # the run summary and inspection read it
        from configs import load_config
        from tfx_module import signatures

        config = load_config("configs/local.yaml")
        print(config.trainer.backbone in catalog.BACKBONES, signatures.SERVING_SIGNATURE)
    """)
    assert out.split() == ["True", "serving_default"]


def test_the_command_lines_answer_help_and_a_dry_run_without_tensorflow():
    # What loads in seconds: a command must read its arguments before it imports any of these.
    out = _run_without({"tensorflow", "keras", "jax", "tfx", "apache_beam", "tensorflow_transform", "tfx_bsl",
                        "tensorflow_data_validation"}, f"""
        import contextlib, io, runpy, sys

        def run(module, *arguments):
            sys.argv = [module, *arguments]
            with contextlib.redirect_stdout(io.StringIO()) as shown:
                try:
                    runpy.run_module(module, run_name="__main__", alter_sys=True)
                except SystemExit as exit:
                    assert exit.code in (0, None), (module, exit.code)
            return shown.getvalue()

        for module in {COMMAND_LINES!r}:
            print(module, run(module, "--help").startswith("usage:"))
        request = run("submission", "vertex", "schedule", "--config", "configs/kubeflow.yaml", "--dry-run")
        print("dry run", '"cron": ' in request)
    """)
    assert out.splitlines() == [f"{module} True" for module in COMMAND_LINES] + ["dry run True"]


def _imported_packages(path: Path) -> set:
    """The project's top-level packages that the module at `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def test_no_two_packages_import_each_other():
    imports = {package: set() for package in PACKAGES}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            imports[package] |= _imported_packages(path) - {package}
    both_ways = sorted((a, b) for a in PACKAGES for b in imports[a] if a < b and a in imports[b])
    assert not both_ways, f"packages importing each other: {both_ways}"
    assert imports["arcface_module"] == set(), "the library imports nothing of the project"


def test_the_librarys_parts_import_one_way():
    # layers -> margin_softmax <- losses -> layers: the head and the losses share the margin softmax
    # without the layers and the losses importing each other.
    library = REPO / "arcface_module"
    parts = sorted({path.relative_to(library).parts[0].removesuffix(".py") for path in library.glob("*")
                    if path.suffix == ".py" or (path / "__init__.py").exists()} - {"__init__"})
    imports = {part: set() for part in parts}
    for part in parts:
        for path in [library / f"{part}.py"] if (library / f"{part}.py").exists() else (library / part).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("arcface_module."):
                    imports[part].add(node.module.split(".")[1])
    both_ways = sorted((a, b) for a in parts for b in imports[a] if a < b and a in imports.get(b, ()))
    assert not both_ways, f"parts of arcface_module importing each other: {both_ways}"
