"""Every generated file of the kit, from the solutions and the registry, and whether it is stale.

`blitz generate` writes them; tests/unit/test_reference_and_stubs.py fails when one is out of date.
The message catalogs' compiled .mo files are among them (Babel compiles each blitz.po).
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

from blitz.authoring.markers import stub_source
from blitz.authoring.notebooks import generated_notebooks
from blitz.course import i18n, registry

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


def compiled_catalogs() -> dict[Path, bytes]:
    """blitz.mo beside every catalog's blitz.po (Babel's compiler; fuzzy entries are left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = {}
    for po in sorted(i18n.LOCALE_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        out = BytesIO()
        write_mo(out, catalog)
        compiled[po.with_suffix(".mo")] = out.getvalue()
    return compiled


def generated_files() -> dict[Path, str | bytes]:
    """Every generated file and what it must contain."""
    files: dict[Path, str | bytes] = {e.stub_path: stub_source(e) for e in registry.MODULE_EXERCISES}
    files.update(generated_notebooks())
    files.update(autograder_tests())
    files.update(compiled_catalogs())
    return files


def _differs(path: Path, content: str | bytes) -> bool:
    if not path.is_file():
        return True
    if isinstance(content, bytes):
        return path.read_bytes() != content
    return path.read_text(encoding="utf-8") != content


def stale() -> list[Path]:
    return [path for path, content in generated_files().items() if _differs(path, content)]


def _write(files: Mapping[Path, str | bytes]) -> list[Path]:
    written = []
    for path, content in files.items():
        if _differs(path, content):
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


def write_catalogs() -> list[Path]:
    """The compiled catalogs alone: written first, since the other files' messages are read from them."""
    return _write(compiled_catalogs())


def write_all() -> list[Path]:
    return _write(generated_files())
