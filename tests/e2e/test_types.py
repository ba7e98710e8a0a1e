"""blitz/ type-checks clean with mypy, as configured in pyproject.toml ([tool.mypy]: the bodies of
unannotated functions too; third-party packages without types are taken as they are).

mypy's cache is kept beside pytest's numbered session folders (pytest-of-<user>/, one cache per
checkout), not in the checkout: a later session rechecks only what changed (most of a cold run is
reading torch's annotations). A cache mypy itself invalidates when a file, its options or its version change.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from blitz.course import registry

ROOT = registry.ROOT

pytestmark = pytest.mark.check  # in `make check`: a few seconds once the cache is warm


def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest-of-<user>/blitz-mypy-<checkout>: outlives the session (pytest prunes only its numbered
    folders); the session's own folder where pytest's temporary root is elsewhere (--basetemp)."""
    base = tmp_path_factory.getbasetemp()
    if base.name.startswith("popen-gw"):  # a pytest-xdist worker's folder, inside the session's
        base = base.parent
    if base.parent.name.startswith("pytest-of-"):
        base = base.parent
    return base / f"blitz-mypy-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"


def test_mypy_is_clean_on_blitz(tmp_path_factory):
    # `python -m mypy` from this interpreter: the dev extra installs it next to the kit.
    cache = cache_dir(tmp_path_factory)
    with FileLock(f"{cache}.lock"):
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    if "No module named mypy" in result.stderr:
        pytest.fail("mypy is not installed: `pip install -e '.[dev]'` (make test does)")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout, result.stdout
