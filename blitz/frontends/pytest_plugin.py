"""The glue between pytest and the checks: one test per check, failures in the check's own words.

`pytest autograder` runs each exercise once, in a fresh child of the warm worker
(:mod:`blitz.execution`): the first test of an exercise runs all its checks there, with the time
limits and output caps of every front end, and each test then reports its own check's result. A
hang or a crash in the student's code fails the checks it hit, with a message naming what was
running; the other tests still pass or fail on their own. The output of the student's code is
shown once per exercise, first and last lines, in the summary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blitz.course import registry
from blitz.course.i18n import tr
from blitz.course.text import points
from blitz.engine.results import CheckResult, RunOutcome, Status, by_exercise
from blitz.execution.local import Engine
from blitz.execution.output import printed_lines
from blitz.execution.stops import engine_msg

# Every result of this pytest session, for the score table at its end.
RESULTS: list[CheckResult] = []
# What the student's code printed, per exercise (first and last lines).
PRINTED: dict[str, dict] = {}


class EngineSubmission:
    """A folder of exercise modules, each exercise run once in a fresh child."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.label = str(folder)
        self.engine = Engine(label=str(self.folder))
        self.outcomes: dict[str, RunOutcome] = {}
        self.told: dict[str, str] = {}  # a failure's text → the check that showed it first

    def start(self) -> None:
        self.engine.start()

    def outcome(self, exercise_id: str, ctx) -> RunOutcome:
        if exercise_id not in self.outcomes:
            context = {"device": ctx.device, "seed": ctx.seed, "data_root": ctx.data_root, "epochs": ctx.epochs}
            outcome = self.engine.run_exercise(self.folder, exercise_id, context)
            self.outcomes[exercise_id] = outcome
            if outcome.printed.get("head"):
                PRINTED[exercise_id] = outcome.printed
        return self.outcomes[exercise_id]

    def result(self, check, ctx) -> CheckResult:
        outcome = self.outcome(check.exercise, ctx)
        for result in outcome.results:
            if result.key == check.key:
                return result
        return check.result(Status.ERROR, engine_msg(outcome.why or "no result"))

    def close(self) -> None:
        self.engine.close()


def run_as_test(check, submission, ctx) -> None:
    """Run one check; a failure shows the check's message, never the kit's traceback."""
    # No data (status "no_data") is not the student's fault, but not a pass or a skip either: it fails
    # with the message that says how to get MNIST.
    if isinstance(submission, EngineSubmission):
        result = submission.result(check, ctx)
    else:  # a submission in this process (notebooks, the kit's own tests)
        from blitz.checks import get_check, run_check

        result = run_check(get_check(check.key), submission, ctx)
    RESULTS.append(result)
    if result.passed:
        return
    assert result.message is not None  # a check that did not pass always says why
    text = result.message.render()
    if isinstance(submission, EngineSubmission):
        first = submission.told.setdefault(text, result.key)
        if first != result.key:  # a syntax error, a hang at import: shown once, under the first check
            same = tr("The same error as [{first}] (see above).", first=first)
            text = same.render()
    pytest.fail(f"[{result.key}] {result.title.render()}\n{text}", pytrace=False)


def printed_summary(write, lang: str) -> None:
    """What the student's code printed, per exercise, at the end of the session."""
    for exercise_id, printed in PRINTED.items():
        heading = tr("{exercise_id} printed:", exercise_id=exercise_id)
        write(heading.render(lang))
        for line in printed_lines(printed, lang=lang):
            write(line)


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
