"""Every name list and key is defined once, by the module that owns it; a copy anywhere else fails here.

A copy is a list, tuple, set, dict or `Literal[...]` in the project's code (tests excluded: they
spell out what they expect) that holds several names of an owned list, or one owned key (a
signature name, a key of the evaluation report, a flattened report property) written out as a
string. The owners import no TensorFlow, so configs and tools read them directly.
"""

import ast
from pathlib import Path

import pytest

from arcface_module import catalog as library
from components.embedding_evaluator import catalog as evaluator
from components.embedding_evaluator import report
from serving.formats import FORMATS
from tfx_module import signatures

REPO = Path(__file__).resolve().parents[2]
# (what, its names, the owner: a file or a package folder, relative to the repository)
LISTS = [
    ("backbone names", set(library.BACKBONES), "arcface_module/"),
    ("margin names", set(library.MARGINS), "arcface_module/"),
    ("metric names", set(evaluator.COMPARABLE_METRICS), "components/embedding_evaluator/"),
    ("FAR keys", set(evaluator.FARS), "components/embedding_evaluator/catalog.py"),
    ("model format names", set(FORMATS), "serving/formats.py"),
]
# (what, its keys, the owner): one of these spelled out as a string elsewhere is a copy.
KEYS = [
    ("signature name", {signatures.SERVING_SIGNATURE, signatures.EXAMPLES_SIGNATURE, signatures.PIXELS_SIGNATURE},
     "tfx_module/signatures.py"),
    ("report key", {evaluator.METRICS_FILE, evaluator.PAIR_SETS, evaluator.VERIFICATION_ACCURACY,
                    report.VERIFICATION_ACCURACY_STD, report.NUM_PAIRS, report.PAIRS_SOURCE, report.NUM_IMAGES,
                    report.BASELINE_MODEL, evaluator.ALL_PAIRS, report.NUM_IMPOSTOR_PAIRS, report.NUM_GENUINE_PAIRS,
                    report.EXACT_TO_FAR}, "components/embedding_evaluator/"),
]
# Flattened report properties (operating_point/threshold, pair_sets/<set>/...): read through report.unflatten.
FLAT_PREFIXES = tuple(section + report.SEPARATOR for section in (evaluator.OPERATING_POINT, evaluator.PAIR_SETS))
REPORT_OWNER = "components/embedding_evaluator/"


def _strings(node):
    """The string constants a collection literal holds (a dict's keys), or None if it is none."""
    if isinstance(node, ast.Dict):
        items = node.keys
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = node.elts
    elif isinstance(node, ast.Subscript) and getattr(node.value, "id", getattr(node.value, "attr", "")) == "Literal":
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    else:
        return None
    return {item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)}


def _docstrings(tree):
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return {id(n.body[0].value) for n in nodes
            if n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def copies(source: str, path: str) -> list:
    """Where `source` (the text of the file at `path`) redefines an owned list: "path:line what"."""
    tree = ast.parse(source)
    found = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        strings = _strings(node)
        for what, names, owner in LISTS:
            if strings and len(strings & names) >= min(3, len(names)) and not path.startswith(owner):
                found.append(f"{path}:{node.lineno} {what} {sorted(strings & names)}")
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in docstrings:
            continue
        for what, keys, owner in KEYS:
            if node.value in keys and not path.startswith(owner):
                found.append(f"{path}:{node.lineno} {what} {node.value!r}")
        if node.value.startswith(FLAT_PREFIXES) and not path.startswith(REPORT_OWNER):
            found.append(f"{path}:{node.lineno} flattened report key {node.value!r}")
    return list(dict.fromkeys(found))  # a Literal's names are also a tuple: one report each


def _project_files():
    return [path for path in sorted(REPO.rglob("*.py"))
            if not path.relative_to(REPO).parts[0] in ("tests", ".venv") and ".partial" not in str(path)]


def test_no_list_is_redefined_outside_its_owner():
    found = [copy for path in _project_files()
             for copy in copies(path.read_text(), path.relative_to(REPO).as_posix())]
    assert not found, "defined again outside its owner (import it from there instead):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source, expected",
    [
        ('backbone: Literal["tiny", "mbf", "r50"] = "tiny"', "backbone names ['mbf', 'r50', 'tiny']"),
        ('MARGINS = {"arcface": 1, "cosface": 2, "sphereface": 3}', "margin names"),
        ('KEYS = ("auc", "eer", "rank_1")', "metric names"),
        ('FarKey = Literal["1e-2", "1e-3", "1e-4"]', "FAR keys"),
        ('signature = model.signatures["embed_examples"]', "signature name 'embed_examples'"),
        ('accuracy = metrics["verification_accuracy"]', "report key 'verification_accuracy'"),
        ('path = os.path.join(uri, "metrics.json")', "report key 'metrics.json'"),
        ('sets = report.get("pair_sets", {})', "report key 'pair_sets'"),
        ('far = properties["operating_point/far"]', "flattened report key 'operating_point/far'"),
        ('auc = properties[f"pair_sets/{name}/auc"]', "flattened report key 'pair_sets/'"),
    ],
)
def test_a_copy_is_found(source, expected):
    (found,) = copies(source, "configs/example.py")
    assert found.startswith("configs/example.py:1 ") and expected in found


def test_a_docstring_naming_a_signature_or_a_short_selection_is_no_copy():
    source = '"""Embeds with `serving_default`."""\nBATCH = {"mbf": 64, "r50": 128}\n'
    assert copies(source, "bench/example.py") == []


def test_the_configs_offer_exactly_the_owned_lists():
    from configs.evaluation import ComparableMetric, FarKey, PusherConfig
    from configs.model import TrainerConfig

    fields = TrainerConfig.model_fields
    assert fields["backbone"].annotation.__args__ == library.BACKBONES
    assert fields["margin_type"].annotation.__args__ == library.MARGINS
    assert ComparableMetric.__args__ == evaluator.COMPARABLE_METRICS
    assert FarKey.__args__ == tuple(evaluator.FARS)
    assert PusherConfig.model_fields["formats"].annotation.__args__[0].__args__ == tuple(FORMATS)
