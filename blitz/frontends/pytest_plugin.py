"""The glue between pytest and the checks: one test per check, failures in the check's own words."""

from __future__ import annotations

import pytest

from blitz.checks import Check, Context, run_check
from blitz.course import registry
from blitz.course.text import points
from blitz.engine.results import CheckResult, by_exercise
from blitz.engine.submission import Submission

# Every result of this pytest session, for the score table at its end.
RESULTS: list[CheckResult] = []


def run_as_test(check: Check, submission: Submission, ctx: Context) -> None:
    """Run one check; a failure shows the check's message, never the kit's traceback."""
    # No data (status "no_data") is not the student's fault, but not a pass or a skip either: it fails
    # with the message that says how to get MNIST.
    result = run_check(check, submission, ctx)
    RESULTS.append(result)
    if not result.passed:
        pytest.fail(f"[{result.key}] {result.title.render()}\n{result.message.render()}", pytrace=False)


def score_lines(results: list[CheckResult], lang: str) -> list[str]:
    """The score table: one line per exercise checked (in the course's order), then the total."""
    exercises = by_exercise(results, [e.id for e in registry.EXERCISES])
    lines = []
    for exercise_id, ex in exercises.items():
        title = registry.get(exercise_id).title.render(lang if lang != "both" else "en")
        lines.append(
            f"{exercise_id:<10} {ex.passed_count:>2}/{len(ex.checks):<2} {points(ex.score):>6} / {points(ex.max_score):>6}  {title}"
        )
    total = sum(ex.score for ex in exercises.values())
    maximum = sum(ex.max_score for ex in exercises.values())
    lines.append(f"{'total':<10} {'':5} {points(total):>6} / {points(maximum):>6}")
    return lines
