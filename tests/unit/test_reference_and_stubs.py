"""The autograder against the reference (everything passes) and the stubs (everything fails).

None of it reads the working exercises/: a self-learner who solved them runs these tests green. The
stubs checked are those `blitz generate` writes, and a committed stub is checked against them.
"""

from __future__ import annotations

import shutil
import subprocess

import mutants
import pytest

from blitz.authoring.generate import stale
from blitz.authoring.markers import stub_source
from blitz.checks import Context, all_checks, run_check
from blitz.course import registry
from blitz.probes.local import LocalSubmission

QUICK = [c for c in all_checks() if c.exercise != "pipeline"]


@pytest.fixture(scope="module")
def reference():
    return LocalSubmission(registry.ROOT / "solutions")


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    """The stubs as `blitz generate` writes them from solutions/, in a folder of their own."""
    return LocalSubmission(mutants.stubs(tmp_path_factory.mktemp("stubs")))


@pytest.mark.parametrize("check", QUICK, ids=lambda c: c.key)
def test_reference_passes(check, reference):
    result = run_check(check, reference, Context())
    assert result.passed, result.message.render("en")
    assert result.score == pytest.approx(result.max_score)


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.key)
def test_stub_fails_with_hint(check, stubs):
    result = run_check(check, stubs, Context())
    assert not result.passed
    assert result.score == 0
    assert result.status == "not_done", result.message.render("en")
    text = result.message.render("both")
    assert f"blitz hint {check.exercise}" in text
    assert "Traceback" not in text and "blitz/" not in text


STUB_PATHS = {e.stub_path for e in registry.MODULE_EXERCISES}


def committed(path) -> str | None:
    """The file as the checkout's last commit has it; None outside a git checkout (a downloaded zip)."""
    git = shutil.which("git")
    if git is None:
        return None
    relative = path.relative_to(registry.ROOT).as_posix()
    done = subprocess.run(
        [git, "show", f"HEAD:{relative}"], cwd=registry.ROOT, capture_output=True, text=True, encoding="utf-8"
    )
    return done.stdout if done.returncode == 0 else None


def test_generated_files_are_fresh():
    # exercises/ is the student's: the stubs there are judged below, by what was committed.
    assert [p for p in stale() if p not in STUB_PATHS] == [], (
        "run `blitz generate`: these generated files differ from their source"
    )


@pytest.mark.parametrize("exercise", registry.MODULE_EXERCISES, ids=lambda e: e.id)
def test_committed_stub_is_what_generate_writes(exercise):
    """A stub is stale when the file in exercises/ is neither what `blitz generate` writes now nor a
    student's own edit of what was committed (then the committed stub itself is out of date)."""
    expected = stub_source(exercise)
    working = exercise.stub_path.read_text(encoding="utf-8") if exercise.stub_path.is_file() else None
    if working == expected:
        return
    last = committed(exercise.stub_path)
    if last is None:
        pytest.skip("not a git checkout: the working file may be the student's own work")
    assert last == expected, f"run `blitz generate` and commit: {exercise.stub_path.name} is stale"
    # The committed stub is fresh; the working file is the student's work, which is not this test's business.


def test_points_add_up():
    assert sum(c.max_score for c in all_checks()) == pytest.approx(registry.TOTAL_POINTS)
