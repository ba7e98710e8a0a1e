"""The glue between pytest and the checks: one test per check, failures in the check's own words."""

from __future__ import annotations

import pytest

from blitz.checks import Check, CheckResult, Context, run_check
from blitz.mnist import MnistMissing
from blitz.submission import Submission

# Every result of this pytest session, for the score table at its end.
RESULTS: list[CheckResult] = []


def run_as_test(check: Check, submission: Submission, ctx: Context) -> None:
    """Run one check; a failure shows the check's message, never the kit's traceback."""
    try:
        result = run_check(check, submission, ctx)
    except MnistMissing as missing:
        # No data is not the student's fault, but it is not a pass or a skip either: say how to get it.
        pytest.fail(f"[{check.key}] {missing.msg.render()}", pytrace=False)
    RESULTS.append(result)
    if not result.passed:
        pytest.fail(f"[{result.key}] {result.title.render()}\n{result.message.render()}", pytrace=False)
