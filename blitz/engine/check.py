"""What a check is, how it reports, and how it is run.

A check is one plain function ``check(sub, ctx)``: it asks the submission to run probes, compares
what came back with the reference, and raises :class:`CheckFailure` with a message that says what
was called, what came back and what was expected. pytest, notebook test cells, `blitz check` and
`blitz grade` all run the same functions through :func:`run_check`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NoReturn

import torch

from blitz.course.hints import ladder
from blitz.course.i18n import Msg, tr
from blitz.course.mnist import MnistMissing
from blitz.engine.catalog import CheckRef, Context
from blitz.engine.feedback import feedback, student_error_message
from blitz.engine.results import CheckResult, Status
from blitz.engine.student_code import StudentError
from blitz.engine.submission import Submission


class CheckFailure(AssertionError):
    """A failed check; `credit`: the share of its points it still earns (0 to 1: partial credit on a curve)."""

    def __init__(self, msg: Msg, credit: float = 0.0):
        self.msg = msg
        self.credit = credit
        super().__init__(msg.render())


_COUNT = threading.local()  # the comparisons the running check made (checks may run in threads)

NOTHING_COMPARED = tr(
    "This check compared nothing (did your code's side send back an empty answer?), so it cannot pass."
)


def compared() -> None:
    """Count one comparison of the running check (blitz.engine.compare's expect_* helpers call it)."""
    _COUNT.n = getattr(_COUNT, "n", 0) + 1


def fail(message: Msg | None = None, credit: float = 0.0, **parts) -> NoReturn:
    """Fail the check with `message`, or with the one :func:`blitz.engine.feedback.feedback` makes of `parts`;
    `credit`: the share of the check's points it still earns (the capstone's accuracy curve)."""
    raise CheckFailure(message if message is not None else feedback(**parts), credit)


@dataclass(frozen=True)
class Check(CheckRef):
    """A check by name (:class:`blitz.engine.catalog.CheckRef`) and the function that runs it."""

    # A Msg back: what a pass says (the capstone's accuracy). None only to follow CheckRef's defaults.
    func: Callable[[Submission, Context], Msg | None] | None = None

    @property
    def hints(self) -> tuple[Msg, ...]:
        """This check's hint ladder, gentle first, the course section last (blitz/course/hints.py)."""
        return ladder(self.key)

    def siblings(self) -> Sequence[Check]:
        """The live registrations (the same list as the declarations :class:`CheckRef` reads; a test keeps them so)."""
        return registered(self.exercise)


_CHECKS: dict[str, list[Check]] = {}


def check(exercise: str, title: Msg, weight: int = 1):
    """Register a check function for an exercise, in the order of definition; `title` says what it checks."""

    def register(func):
        entry = Check(exercise, func.__name__.removeprefix("check_"), title, weight, func=func)
        _CHECKS.setdefault(exercise, []).append(entry)
        return func

    return register


def registered(exercise_id: str) -> list[Check]:
    """The checks registered so far for an exercise (blitz.checks imports them all)."""
    return list(_CHECKS.get(exercise_id, []))


def run_check(entry: Check, sub: Submission, ctx: Context | None = None) -> CheckResult:
    """Run one check; whatever the student's code does, this returns a result."""
    ctx = ctx or Context()
    started = time.perf_counter()
    message, status, note, credit = None, Status.PASSED, None, 0.0
    assert entry.func is not None, f"{entry.key} was registered without its function"
    begin = getattr(sub, "begin_check", None)  # a Submission's; a test's stand-in may have none
    if begin is not None:
        begin()
    try:
        # Checks draw their random inputs from the generator they seed; the parent's state is kept.
        outer, _COUNT.n = getattr(_COUNT, "n", 0), 0
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(ctx.seed)
                note = entry.func(sub, ctx)  # a check may say something on a pass too (the capstone's accuracy)
            if _COUNT.n == 0:  # a loop over an empty answer compares nothing: that is no pass
                raise CheckFailure(NOTHING_COMPARED)
        finally:
            _COUNT.n = outer
    except CheckFailure as failure:
        message, status, credit = failure.msg, Status.FAILED, failure.credit
    except StudentError as error:
        message, word = student_error_message(error, entry.exercise)
        status = Status(word)
    except MnistMissing as missing:
        message, status = missing.msg, Status.NO_DATA
    result = entry.result(status, message, time.perf_counter() - started, note if isinstance(note, Msg) else None)
    return replace(result, credit=credit) if credit else result
