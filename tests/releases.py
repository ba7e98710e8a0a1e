"""One student release per test session, shared by the modules that read it (tests/e2e/test_release.py,
tests/e2e/test_release_loop.py): `blitz release` records the reference's results, builds the wheel and
runs nbgrader on every notebook (most of a minute), and what it makes does not depend on who reads it.

The release is built from a clone whose exercises/ and blitz/stubs/ hold the solutions, as an instructor
who solved the course in their clone has them: not one solution line may reach it (issue 21.9).

Under pytest-xdist the workers share it (:func:`kit.built_once`): the first to ask builds it, the other
waits and reads the same folder. Readers must not write into it: a module that runs commands inside a release
copies it first (:func:`copy_of`).

Imported as `import releases` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import kit
import pytest

from blitz.course import registry

ROOT = registry.ROOT
DATA = os.environ.get("BLITZ_DATA", str(ROOT / "data"))
# What a clone needs to build a release: the package, the reference, the generated autograder.
CLONED = ("blitz", "solutions", "autograder", "notebooks", "exercises", "pyproject.toml")


def env(extra: dict | None = None) -> dict[str, str]:
    """A student's environment: English, the data where the kit's is, nothing of the kit's checkout."""
    out = dict(os.environ, BLITZ_LANG="en", BLITZ_DATA=DATA, PYTHONIOENCODING="utf-8")
    for name in ("PYTHONPATH", "LC_ALL", "VIRTUAL_ENV"):
        out.pop(name, None)
    out.update(extra or {})
    return out


def solved_clone(target: Path) -> Path:
    """The kit as an instructor who solved every exercise has it: exercises/ and blitz/stubs/ hold answers."""
    target.mkdir()
    for name in CLONED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", ".blitz"))
        else:
            shutil.copy2(source, target / name)
    (target / "blitz" / "stubs").mkdir(exist_ok=True)
    for exercise in registry.MODULE_EXERCISES:
        answer = exercise.solution_path.read_text(encoding="utf-8")
        (target / "exercises" / f"{exercise.id}.py").write_text(answer, encoding="utf-8")
        (target / "blitz" / "stubs" / f"{exercise.id}.py").write_text(answer, encoding="utf-8")
    return target


def build(where: Path) -> Path:
    """`blitz release where/out`, run in a solved clone (where/kit) with the clone's own package."""
    clone = solved_clone(where / "kit")
    out = where / "out"
    made = subprocess.run(
        [sys.executable, "-m", "blitz", "release", str(out)],
        cwd=clone,
        env=env({"PYTHONPATH": str(clone)}),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return out


def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's release (built on first use); read it, never write into it."""
    return kit.built_once(tmp_path_factory, "shared-release", build) / "out"


def copy_of(release: Path, target: Path) -> Path:
    """A copy of the release that commands may write into (pytest's caches, a student's state)."""
    shutil.copytree(release, target)
    return target
