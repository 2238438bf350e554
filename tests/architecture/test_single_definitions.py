"""Every name list and key is defined once, by the module that owns it; a copy anywhere else fails here.

A copy is a list, tuple, set, dict or `Literal[...]` in the project's code (tests excluded: they
spell out what they expect) that holds several names of an owned list, one owned key (a signature
name or the export's output key, a key of the evaluation report or a flattened report property, a
pipeline node id) written out as a string, or an owned default (the logits' scale, the face crop
size, the pairs drawn for evaluation, the pixel normalisation) written out as a number. The owners
import no TensorFlow, so configs and tools read them directly.
"""

import ast
from pathlib import Path

import pytest

from arcface_module import catalog as library
from components.embedding_evaluator import catalog as evaluator
from components.embedding_evaluator import report
from pipeline import nodes
from serving.formats import FORMATS
from tfx_module import signatures

REPO = Path(__file__).resolve().parents[2]
# (what, its names, the owner: a file or a package folder, relative to the repository)
LISTS = [
    ("backbone names", set(library.BACKBONES), "arcface_module/"),
    ("margin names", set(library.MARGINS), "arcface_module/"),
    ("margins needing margin > 0", set(library.POSITIVE_MARGINS), "arcface_module/catalog.py"),
    ("metric names", set(evaluator.COMPARABLE_METRICS), "components/embedding_evaluator/"),
    ("FAR keys", set(evaluator.FARS), "components/embedding_evaluator/catalog.py"),
    ("model format names", set(FORMATS), "serving/formats.py"),
]
# (what, its keys, the owner): one of these spelled out as a string elsewhere is a copy.
KEYS = [
    ("signature name", {signatures.SERVING_SIGNATURE, signatures.EXAMPLES_SIGNATURE, signatures.PIXELS_SIGNATURE},
     "tfx_module/signatures.py"),
    ("output key", {signatures.EMBEDDING_KEY}, "tfx_module/signatures.py"),
    ("node id", {value for name, value in vars(nodes).items() if name.isupper()}, "pipeline/nodes.py"),
    ("report key", {evaluator.METRICS_FILE, evaluator.PAIR_SETS, evaluator.VERIFICATION_ACCURACY,
                    report.VERIFICATION_ACCURACY_STD, report.NUM_PAIRS, report.PAIRS_SOURCE, report.NUM_IMAGES,
                    report.BASELINE_MODEL, evaluator.ALL_PAIRS, report.NUM_IMPOSTOR_PAIRS, report.NUM_GENUINE_PAIRS,
                    report.EXACT_TO_FAR}, "components/embedding_evaluator/"),
]
# Flattened report properties (operating_point/threshold, pair_sets/<set>/...): read through report.unflatten.
FLAT_PREFIXES = tuple(section + report.SEPARATOR for section in (evaluator.OPERATING_POINT, evaluator.PAIR_SETS))
REPORT_OWNER = "components/embedding_evaluator/"
# (what, its value, the owner): the number itself anywhere else is a copy (64 or 112.0 are not).
DEFAULTS = [
    ("scale", library.SCALE, "arcface_module/catalog.py"),
    ("face crop size", library.FACE_SIZE, "arcface_module/catalog.py"),
]
# (names, the owner): a number bound to one of these names anywhere else (a parameter's or a
# field's default, a keyword argument, a dict entry) is a second value of an owned default.
NAMED_DEFAULTS = [
    ({"max_positive_pairs"}, "components/embedding_evaluator/catalog.py"),
    ({"normalize_mean", "normalize_std"}, "configs/model.py"),
]
# tfx_module.preprocessing.normalize(pixels, mean, std) takes the config's values: no defaults.
NORMALISATION_PARAMETERS = {"mean", "std"}


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


def _bound_numbers(node):
    """(name, number) of each number `node` binds to a name: defaults, fields, keywords, dict entries."""
    pairs, parameters = [], []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        positional = [*node.args.posonlyargs, *node.args.args]
        parameters = [*zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults),
                      *zip(node.args.kwonlyargs, node.args.kw_defaults)]
        pairs = [(arg.arg, default) for arg, default in parameters]
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        value = node.value
        if isinstance(value, ast.Call) and value.args:  # Field(0.5, gt=0)
            value = value.args[0]
        pairs = [(node.target.id, value)]
    elif isinstance(node, ast.Call):
        pairs = [(keyword.arg, keyword.value) for keyword in node.keywords if keyword.arg]
    elif isinstance(node, ast.Dict):
        pairs = [(key.value, value) for key, value in zip(node.keys, node.values)
                 if isinstance(key, ast.Constant) and isinstance(key.value, str)]
    return [(name, value.value) for name, value in pairs if isinstance(value, ast.Constant)
            and isinstance(value.value, (int, float)) and not isinstance(value.value, bool)], bool(parameters)


def _default_copies(node, path: str) -> list:
    bound, is_function = _bound_numbers(node)
    found = [f"{name} default {value!r}" for name, value in bound for names, owner in NAMED_DEFAULTS
             if name in names and not path.startswith(owner)]
    if is_function:
        found += [f"normalisation default {value!r}" for name, value in bound if name in NORMALISATION_PARAMETERS]
    return found


def copies(source: str, path: str) -> list:
    """Where `source` (the text of the file at `path`) redefines an owned list: "path:line what"."""
    tree = ast.parse(source)
    found = []
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        found += [f"{path}:{node.lineno} {copy}" for copy in _default_copies(node, path)]
        if (isinstance(node, ast.Constant) and not isinstance(node.value, bool) and id(node) not in docstrings):
            found += [f"{path}:{node.lineno} {what} {value!r}" for what, value, owner in DEFAULTS
                      if type(node.value) is type(value) and node.value == value and not path.startswith(owner)]
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
        ('if margin_type in ("sphereface", "adaface") and margin <= 0: ...', "margins needing margin > 0"),
        ('KEYS = ("auc", "eer", "rank_1")', "metric names"),
        ('FarKey = Literal["1e-2", "1e-3", "1e-4"]', "FAR keys"),
        ('signature = model.signatures["embed_examples"]', "signature name 'embed_examples'"),
        ('accuracy = metrics["verification_accuracy"]', "report key 'verification_accuracy'"),
        ('path = os.path.join(uri, "metrics.json")', "report key 'metrics.json'"),
        ('sets = report.get("pair_sets", {})', "report key 'pair_sets'"),
        ('far = properties["operating_point/far"]', "flattened report key 'operating_point/far'"),
        ('auc = properties[f"pair_sets/{name}/auc"]', "flattened report key 'pair_sets/'"),
        ('vectors = outputs["embedding"].numpy()', "output key 'embedding'"),
        ('seconds = executions["Trainer"]', "node id 'Trainer'"),
        ('evaluator = EmbeddingEvaluator(**args).with_id("EmbeddingEvaluator")', "node id 'EmbeddingEvaluator'"),
        ('image_size: int = Field(112, ge=16)', "face crop size 112"),
        ('pairs = make_pairs(labels, max_positive_pairs=10_000)', "max_positive_pairs default 10000"),
        ('EVAL = {"split": "eval", "max_positive_pairs": 3000}', "max_positive_pairs default 3000"),
        ('def normalize(pixels, mean=0.5, std=0.5): ...', "normalisation default 0.5"),
        ('normalize_std: float = Field(0.5, gt=0)', "normalize_std default 0.5"),
        ('def loss(labels, logits, scale=64.0): ...', "scale 64.0"),
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
