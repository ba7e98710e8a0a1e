"""The glue between pytest and the checks: one test per check, failures in the check's own words."""

from __future__ import annotations

import pytest

from blitz.checks import Check, CheckResult, Context, run_check
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
