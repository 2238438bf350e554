"""The configuration reference: every key documented in the config code, docs/configuration.md its output."""

from typing import Dict, Optional

from configs import reference
from configs.base import Section


def test_every_key_has_a_meaning():
    missing = reference.undocumented()
    assert not missing, (
        f"config keys without a meaning: {', '.join(missing)}. Write a docstring on the line under each "
        f'field (name: type = default, then """What it means."""), then run {reference.COMMAND}'
    )


def test_a_key_without_a_docstring_is_found_in_a_nested_section():
    class Inner(Section):
        documented: int = 1
        """Has a meaning."""
        bare: int = 2

    class Outer(Section):
        inner: Optional[Inner] = None
        """A section."""
        named: Dict[str, Inner] = {}
        """Sections by name."""

    assert reference.undocumented(Outer) == ["inner.bare", "named.<set>.bare"]


def test_docs_configuration_md_is_what_the_configs_write():
    written = reference.REFERENCE_FILE.read_text() if reference.REFERENCE_FILE.exists() else ""
    up_to_date = written == reference.render()  # not asserted directly: pytest would print both files
    assert up_to_date, f"{reference.REFERENCE_FILE} differs from the typed configs: run {reference.COMMAND}"
