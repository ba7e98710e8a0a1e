"""Every generated file of the kit, from the solutions and the registry, and whether it is stale.

`blitz generate` writes them; tests/unit/test_reference_and_stubs.py fails when one is out of date.
"""

from __future__ import annotations

from pathlib import Path

from blitz.authoring.markers import stub_source
from blitz.authoring.notebooks import generated_notebooks
from blitz.course import registry

AUTOGRADER_TEST = '''"""Checks for exercises/{id}.py: {title_en} / {title_zh}.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/{id}/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("{id}"), ids=lambda c: c.name)
def test_{id}(check, submission, ctx):
    run_as_test(check, submission, ctx)
'''


def autograder_tests() -> dict[Path, str]:
    """autograder/test_<id>.py for every exercise: the same few lines, named by the id."""
    return {
        registry.ROOT / "autograder" / f"test_{e.id}.py": AUTOGRADER_TEST.format(
            id=e.id, title_en=e.title.en, title_zh=e.title.zh
        )
        for e in registry.EXERCISES
    }


def generated_files() -> dict[Path, str]:
    """Every generated file and what it must contain."""
    files = {e.stub_path: stub_source(e) for e in registry.MODULE_EXERCISES}
    files.update(generated_notebooks())
    files.update(autograder_tests())
    return files


def stale() -> list[Path]:
    return [
        path
        for path, text in generated_files().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write_all() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
