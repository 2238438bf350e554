"""The configuration reference, docs/configuration.md, written from the typed configs themselves.

Every key of `PipelineConfig`, section by section, with its type, default, allowed values and
meaning: the docstring under the field (`use_attribute_docstrings`, configs/base.py). Nothing is
written by hand, so the reference cannot drift from the code; tests/configs/test_reference.py
fails on a key without a meaning and on a docs/configuration.md that differs from this output.

    ./dev python -m configs.reference --write    # rewrite docs/configuration.md
    ./dev python -m configs.reference            # print it

Imports no TensorFlow: it runs in well under a second.
"""

import argparse
import inspect
import math
import os
import sys
import typing
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Tuple

import annotated_types
import pydantic
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import configs.config
from configs.base import Section
from configs.config import PipelineConfig

REFERENCE_FILE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
COMMAND = "./dev python -m configs.reference --write"


class Key(NamedTuple):
    """One row of the reference: a key's dotted path and what the config code says of it."""

    path: str
    parent: str  # the section it belongs to ("" for the top level)
    type: str
    default: str
    allowed: str
    meaning: Optional[str]
    opens: Optional[str]  # for a key holding a section: where that section's keys are listed
    section: Optional[type]  # and that section's class


def keys(model: type = PipelineConfig, parent: str = "") -> Iterator[Key]:
    """Every key under `model`, depth first in the order the config code declares them."""
    for name, field in model.model_fields.items():
        path = f"{parent}.{name}" if parent else name
        kind, allowed = _describe(field.annotation, field.metadata)
        section = _section_of(field.annotation)
        # A map of sections (evaluator.pairs) has a named entry per key: `<set>` stands for it.
        opens = None if section is None else f"{path}.<set>" if _is_map(field.annotation) else path
        meaning = " ".join(field.description.split()) if field.description else None
        yield Key(path, parent, kind, _default(field), "; ".join(allowed), meaning, opens, section)
        if section is not None:
            yield from keys(section, opens)


def render() -> str:
    """docs/configuration.md as this code writes it."""
    rows = list(keys())
    sections = [("", PipelineConfig.__doc__)] + [(key.opens, key.section.__doc__) for key in rows if key.opens]
    lines = [
        "# Configuration reference",
        "",
        f"<!-- Written by `{COMMAND}` from configs/*.py: edit the docstrings there, not this file. -->",
        "",
        *_paragraphs(configs.config.__doc__),
        "",
        *_paragraphs(Section.__doc__),
        "",
        "The example configs: [configs/local.yaml](../configs/local.yaml) (the demo) and",
        "[configs/kubeflow.yaml](../configs/kubeflow.yaml) (Kubeflow Pipelines / Vertex AI).",
        "",
        "Sections: " + ", ".join(f"[{_title(path)}](#{_anchor(path)})" for path, _ in sections) + ".",
    ]
    for path, doc in sections:
        lines += ["", f"## {_title(path)}", "", *_paragraphs(doc), ""]
        lines += ["| key | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
        for key in rows:
            if key.parent == path:
                kind = f"[{key.type}](#{_anchor(key.opens)})" if key.opens else key.type
                lines.append(f"| `{key.path}` | {_cell(kind)} | {_cell(key.default)} | {_cell(key.allowed)} | "
                             f"{_cell(key.meaning or '')} |")
    return "\n".join(lines) + "\n"


def undocumented(model: type = PipelineConfig) -> List[str]:
    """The keys under `model` whose field has no docstring."""
    return [key.path for key in keys(model) if not key.meaning]


def write(path: Path = REFERENCE_FILE) -> None:
    """Writes the reference to `path`, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(render())
    os.replace(temporary, path)


def _title(path: str) -> str:
    return f"`{path}`" if path else "Top level"


def _anchor(path: str) -> str:
    """The heading's anchor as GitHub spells it: lower case, punctuation dropped, spaces to dashes."""
    text = _title(path).lower()
    return "".join(c for c in text if c.isalnum() or c in "-_ ").replace(" ", "-")


def _paragraphs(doc: Optional[str]) -> List[str]:
    return inspect.cleandoc(doc or "").splitlines()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _is_optional(annotation) -> bool:
    return typing.get_origin(annotation) is typing.Union and type(None) in typing.get_args(annotation)


def _without_none(annotation):
    return [arg for arg in typing.get_args(annotation) if arg is not type(None)][0] if _is_optional(annotation) else annotation


def _is_map(annotation) -> bool:
    return typing.get_origin(_without_none(annotation)) is dict


def _section_of(annotation) -> Optional[type]:
    annotation = _without_none(annotation)
    if _is_map(annotation):
        annotation = typing.get_args(annotation)[1]
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


_NAMES = {int: "integer", float: "number", bool: "boolean", str: "string", Path: "path",
          pydantic.SecretStr: "secret string"}


def _describe(annotation, metadata=()) -> Tuple[str, List[str]]:
    """A type in words and its allowed values (choices, bounds, patterns)."""
    allowed = _constraints(metadata)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        kind, inner = _describe(args[0], [m for info in args[1:] for m in _metadata(info)])
        return kind, inner + allowed
    if origin is typing.Literal:
        kind = "string" if all(isinstance(arg, str) for arg in args) else "number"
        return kind, [", ".join(f"`{arg}`" for arg in args)] + allowed
    if _is_optional(annotation):
        kind, inner = _describe(_without_none(annotation))
        return f"{kind} or null", inner + allowed
    if origin is typing.Union and set(args) == {Path, str}:
        return "path or URI", allowed
    if origin is list:
        kind, inner = _describe(args[0])
        return f"list of {kind}s", inner + allowed
    if origin is tuple:
        parts = [_describe(arg) for arg in args]
        bounds = ", ".join("; ".join(inner) or "any" for _, inner in parts)
        return f"list of {len(parts)} {parts[0][0]}s", [f"[{bounds}]"] + allowed
    if origin is dict:
        (key_kind, key_allowed), (value_kind, value_allowed) = _describe(args[0]), _describe(args[1])
        if _section_of(args[1]) is not None:
            return "map name -> section", [f"names: {'; '.join(key_allowed)}"] if key_allowed else []
        inner = [f"keys: {'; '.join(key_allowed)}"] if key_allowed else []
        inner += [f"values: {'; '.join(value_allowed)}"] if value_allowed else []
        return f"map {key_kind} -> {value_kind}", inner + allowed
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return "section", allowed
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation))), allowed


def _metadata(info) -> list:
    return info.metadata if isinstance(info, FieldInfo) else [info]


def _constraints(metadata) -> List[str]:
    bounds = {}
    words = []
    for item in metadata:
        for name in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, name.capitalize())):
                bounds[name] = _number(getattr(item, name))
        if getattr(item, "pattern", None):
            words.append(f"matches `{item.pattern}`")
        if isinstance(item, annotated_types.MinLen) and item.min_length:
            words.append("not empty" if item.min_length == 1 else f"at least {item.min_length} characters")
    low = next(((bounds[n], op) for n, op in (("ge", "<="), ("gt", "<")) if n in bounds), None)
    high = next(((op, bounds[n]) for n, op in (("le", "<="), ("lt", "<")) if n in bounds), None)
    if low and high:
        words.insert(0, f"{low[0]} {low[1]} x {high[0]} {high[1]}")
    elif low:
        words.insert(0, f"{low[1].replace('<', '>')} {low[0]}")
    elif high:
        words.insert(0, f"{high[0]} {high[1]}")
    return words


def _number(value) -> str:
    return "pi" if value == math.pi else repr(value)


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined:
        return "required"
    if isinstance(field.default, Section):
        return "its keys' defaults"
    return f"`{_yaml(field.default)}`"


def _yaml(value) -> str:
    """A default as it would be written in the YAML file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, pydantic.SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        return value or '""'
    return str(value)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m configs.reference", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {REFERENCE_FILE.name} instead of printing it")
    args = parser.parse_args(argv)
    if args.write:
        write()
        print(f"wrote {REFERENCE_FILE}")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
