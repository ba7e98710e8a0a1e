"""The architecture stays as the module map in blitz/__init__.py says: layers and no import cycles
(import-linter's contracts in pyproject.toml; imports inside functions included), small modules and
functions, ruff's style."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blitz.course import registry

ROOT = registry.ROOT
pytestmark = pytest.mark.check  # in `make check`: static, a few seconds
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
# exercises/ is the student's: its stubs are linted as `blitz generate` writes them (test_ruff_lint_and_format),
# never the working files, which may hold a student's unfinished code.
SOURCES = ("blitz", "tests", "benchmarks", "autograder", "solutions")


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `pip install -e '.[dev]'` (make test does)")
    return path


def test_layers_hold():
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_import_cycles():
    # import-linter's acyclic_siblings contract (pyproject.toml) finds them: grimp counts imports inside
    # functions too, and a package importing its own children is no cycle. It must stay declared over blitz.
    result = subprocess.run(
        [_tool("lint-imports"), "--contract", "acyclic"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No import cycles" in result.stdout and "1 kept, 0 broken" in result.stdout, result.stdout


def _python_files():
    for folder in ("blitz",):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_modules_are_small():
    big = {
        str(p.relative_to(ROOT)): n
        for p in _python_files()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}, f"modules over {MAX_MODULE_LINES} lines: split them"


def test_functions_are_short():
    long = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = length
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines: split them"


def test_ruff_lint_and_format():
    ruff = _tool("ruff")
    lint = subprocess.run([ruff, "check", *SOURCES], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    form = subprocess.run([ruff, "format", "--check", *SOURCES], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert form.returncode == 0, form.stdout + form.stderr


@pytest.mark.parametrize("exercise", registry.MODULE_EXERCISES, ids=lambda e: e.id)
def test_ruff_lints_each_stub_as_generated(exercise):
    """The stub `blitz generate` writes, linted under its own name (exercises/ID.py, so pyproject's rules for
    stubs apply), read from stdin: what a student has written in exercises/ is not this test's business."""
    from blitz.authoring.markers import stub_source

    name = exercise.stub_path.relative_to(ROOT).as_posix()
    lint = subprocess.run(
        [_tool("ruff"), "check", "--stdin-filename", name, "-"],
        input=stub_source(exercise),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
