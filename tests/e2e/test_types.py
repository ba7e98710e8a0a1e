"""blitz/ type-checks clean with mypy, as configured in pyproject.toml ([tool.mypy]: the bodies of
unannotated functions too; third-party packages without types are taken as they are)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from blitz.course import registry

ROOT = registry.ROOT

pytestmark = pytest.mark.check  # in `make check`: a few seconds once .mypy_cache is warm


def test_mypy_is_clean_on_blitz():
    # `python -m mypy` from this interpreter: the dev extra installs it next to the kit.
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if "No module named mypy" in result.stderr:
        pytest.fail("mypy is not installed: `pip install -e '.[dev]'` (make test does)")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout, result.stdout
