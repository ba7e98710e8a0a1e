"""The autograder against the reference (everything passes) and the stubs (everything fails)."""

from __future__ import annotations

import pytest

from blitz.authoring.generate import stale
from blitz.checks import Context, all_checks, run_check
from blitz.course import registry
from blitz.probes.local import LocalSubmission

QUICK = [c for c in all_checks() if c.exercise != "pipeline"]


@pytest.fixture(scope="module")
def reference():
    return LocalSubmission(registry.ROOT / "solutions")


@pytest.fixture(scope="module")
def stubs():
    return LocalSubmission(registry.ROOT / "exercises")


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


def test_generated_files_are_fresh():
    assert stale() == [], "run `blitz generate`: these generated files differ from their source"


def test_points_add_up():
    assert sum(c.max_score for c in all_checks()) == pytest.approx(registry.TOTAL_POINTS)
