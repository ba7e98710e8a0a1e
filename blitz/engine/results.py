"""What checking gives back, in one typed model and one vocabulary.

One vocabulary at three levels, each with its own values (:data:`CHECK_STATUSES`,
:data:`EXERCISE_STATUSES`, :data:`SUBMISSION_STATES`):

- a check's status (``CheckResult.status``): passed, failed, not_done, error, crashed, timeout,
  missing, no_data;
- an exercise's: its checks' worst (``ExerciseResult.status``, those and partial), and where the
  student stands in it (``ExerciseResult.standing``, :class:`Standing`);
- a submission's state (``SubmissionResult.status``): graded, empty, refused, missing.

- :class:`Status` — the words of the three levels (one string enum, so results.json reads as before);
- :class:`Standing` — where a student stands in an exercise (`blitz list`, `check`, `watch`), derived
  from the exercise's checks in one place (:attr:`ExerciseResult.standing`);
- :class:`RunOutcome` — what one run of the local engine came to (:mod:`blitz.execution.local`:
  an exercise's checks, a job's value, a failed engine or a cancelled run), typed for the front ends;
- :class:`CheckResult` — one check; :class:`ExerciseResult` — an exercise's checks, its score and
  status; :class:`SubmissionResult` — a graded submission (the *record* the grading reports are
  written from, kept in results.json so that a stopped batch resumes).

Every result has ``to_json()`` and ``from_json()``; the enums are strings, so the JSON reads as
before ("passed", "not_done", ...), and a message is ``{"zh": ..., "en": ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, overload

from blitz.course.i18n import Msg


class _Word(str, Enum):
    """A string enum that prints, formats and hashes as its value (so "passed" finds Status.PASSED)."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:
        return hash(self.value)


class Status(_Word):
    PASSED = "passed"
    FAILED = "failed"  # the check's comparison failed
    PARTIAL = "partial"  # an exercise: some checks passed, the others failed
    NOT_DONE = "not_done"  # a stub: the student's code raised NotImplementedError
    ERROR = "error"  # the student's code raised; or the grader failed (its message says so)
    CRASHED = "crashed"  # the worker running the student's code ended
    TIMEOUT = "timeout"
    MISSING = "missing"  # the file (or the whole submission) is not there
    NO_DATA = "no_data"  # MNIST is not where the kit looks: not the student's fault, but no pass
    GRADED = "graded"  # a submission that was graded (its checks say how well)
    EMPTY = "empty"  # a submission without any exercise module
    REFUSED = "refused"  # a submission holding a symlink, FIFO or device: not graded, and nothing else spent

    @property
    def is_error(self) -> bool:
        """An error rather than a failure (JUnit's <error>, the flags of the summary table)."""
        return self in (Status.CRASHED, Status.TIMEOUT, Status.ERROR)


CHECK_STATUSES = frozenset(
    {
        Status.PASSED,
        Status.FAILED,
        Status.NOT_DONE,
        Status.ERROR,
        Status.CRASHED,
        Status.TIMEOUT,
        Status.MISSING,
        Status.NO_DATA,
    }
)
EXERCISE_STATUSES = CHECK_STATUSES | {Status.PARTIAL}
SUBMISSION_STATES = frozenset({Status.GRADED, Status.EMPTY, Status.REFUSED, Status.MISSING})


# An exercise's status is its checks' worst: the first of these that any check has.
PRECEDENCE = (
    Status.CRASHED,
    Status.TIMEOUT,
    Status.MISSING,
    Status.NO_DATA,
    Status.ERROR,
    Status.NOT_DONE,
    Status.FAILED,
)


class Standing(_Word):
    NOT_STARTED = "not_started"  # every check stops at a stub's NotImplementedError
    FAILING = "failing"  # some code is there, and at least one check fails
    DONE = "done"  # every check passes
    MISSING = "missing"  # the exercise's file is not in the folder
    NO_DATA = "no_data"  # a check needs MNIST and it is not there
    UNCHECKED = "unchecked"  # the capstone has not been run on this code yet


def msg_json(msg: Msg | None) -> dict | None:
    """{"zh": ..., "en": ...}, plus one key per other language a catalog gave the message."""
    return None if msg is None else {"zh": msg.zh, "en": msg.en, **dict(msg.more)}


@overload
def msg_from(data: dict) -> Msg: ...
@overload
def msg_from(data: object) -> Msg | None: ...
def msg_from(data: object) -> Msg | None:
    """A Msg read back from JSON; None for anything that is not a {"zh", "en"} object."""
    if not isinstance(data, dict):
        return None
    more = tuple((str(k), str(v)) for k, v in data.items() if k not in ("zh", "en") and isinstance(v, str))
    return Msg(str(data.get("zh", "")), str(data.get("en", "")), more)


@dataclass
class CheckResult:
    exercise: str
    name: str
    title: Msg
    status: Status
    max_score: float
    message: Msg | None = None  # None when it passed
    seconds: float = 0.0
    note: Msg | None = None  # what a check says on a pass too (the capstone's accuracy)
    # The share of max_score a check that did not pass still earns (the capstone's accuracy curve), 0 to 1.
    credit: float = 0.0

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.credit = min(max(float(self.credit), 0.0), 1.0) if self.credit == self.credit else 0.0

    @property
    def key(self) -> str:
        return f"{self.exercise}.{self.name}"

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def score(self) -> float:
        """All the points on a pass; else the check's partial credit, to the hundredth of a point."""
        return self.max_score if self.passed else round(self.max_score * self.credit, 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "exercise": self.exercise,
            "name": self.name,
            "title": msg_json(self.title),
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "message": msg_json(self.message),
            "seconds": round(self.seconds, 3),
            **({"note": msg_json(self.note)} if self.note is not None else {}),
            **({"credit": self.credit} if self.credit else {}),
        }

    @classmethod
    def from_json(cls, data: dict) -> CheckResult:
        return cls(
            exercise=data["exercise"],
            name=data["name"],
            title=msg_from(data["title"]),
            status=Status(data["status"]),
            max_score=float(data["max_score"]),
            message=msg_from(data.get("message")),
            note=msg_from(data.get("note")),
            seconds=float(data.get("seconds", 0.0)),
            credit=float(data.get("credit", 0.0)),
        )


class _Summed:
    """The points of a group of checks (an exercise's, a submission's): summed from its `checks`."""

    @property
    def _summed(self) -> list[CheckResult]:
        return self.checks  # type: ignore[attr-defined]  # a field of one subclass, a property of the other

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self._summed), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self._summed), 4)


@dataclass
class ExerciseResult(_Summed):
    """An exercise's checks, in check order, and what they add up to."""

    exercise: str
    checks: list[CheckResult] = field(default_factory=list)
    # Set when the checks do not decide where the student stands: a missing file, no MNIST, the
    # capstone not run yet or waiting for its inputs; `note` then says why.
    given: Standing | None = None
    note: Msg | None = None

    def __post_init__(self) -> None:
        self.given = None if self.given is None else Standing(self.given)

    @property
    def passed_count(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def status(self) -> Status:
        """The grade's word: passed, partial (some passed, the rest failed), or the worst outcome."""
        statuses = {c.status for c in self.checks}
        if statuses == {Status.PASSED}:
            return Status.PASSED
        worst = next((s for s in PRECEDENCE if s in statuses), Status.FAILED)
        return Status.PARTIAL if worst is Status.FAILED and Status.PASSED in statuses else worst

    @property
    def standing(self) -> Standing:
        """The student's word: done, not started (nothing but stubs), failing."""
        if self.given is not None:
            return self.given
        if self.checks and all(c.passed for c in self.checks):
            return Standing.DONE
        if self.checks and all(c.status is Status.NOT_DONE for c in self.checks):
            return Standing.NOT_STARTED
        return Standing.FAILING

    def summary(self) -> dict[str, Any]:
        """The exercise's line in a grading record."""
        return {"score": self.score, "max_score": self.max_score, "status": self.status.value}

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            **self.summary(),
            "standing": self.standing.value,
            "given": None if self.given is None else self.given.value,
            "note": msg_json(self.note),
            "checks": [c.to_json() for c in self.checks],
        }

    @classmethod
    def from_json(cls, data: dict) -> ExerciseResult:
        given = data.get("given")
        return cls(
            exercise=data["exercise"],
            checks=[CheckResult.from_json(c) for c in data.get("checks", [])],
            given=None if given is None else Standing(given),
            note=msg_from(data.get("note")),
        )


def by_exercise(checks: list[CheckResult], order: tuple[str, ...] | list[str] = ()) -> dict[str, ExerciseResult]:
    """The checks grouped into their exercises: those in `order` first, in that order, then the rest."""
    grouped: dict[str, list[CheckResult]] = {e: [] for e in order}
    for c in checks:
        grouped.setdefault(c.exercise, []).append(c)
    return {e: ExerciseResult(e, mine) for e, mine in grouped.items() if mine}


@dataclass
class SubmissionResult(_Summed):
    """The grading record of one submission: who, which files (their fingerprint), every check."""

    student: str
    folder: str
    fingerprint: str
    status: Status  # graded, or missing / empty (nothing to grade), or error (the grader failed)
    exercises: dict[str, ExerciseResult]  # in grading order
    message: Msg | None = None  # one reason for every check (a missing folder, a grader failure)
    seconds: float = 0.0
    isolation: str = ""
    device: str = "cpu"
    kit_version: str = ""

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    @property
    def checks(self) -> list[CheckResult]:
        return [c for e in self.exercises.values() for c in e.checks]

    @property
    def notes(self) -> str:
        """What went wrong beyond failed checks; the one reason for everything when there is one."""
        if self.message is not None:
            return self.message.en
        ordinary = (Status.PASSED, Status.PARTIAL, Status.FAILED)
        return "; ".join(f"{i}: {e.status.value}" for i, e in self.exercises.items() if e.status not in ordinary)

    def to_json(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "folder": self.folder,
            "fingerprint": self.fingerprint,
            "status": self.status.value,
            "notes": self.notes,
            "message": msg_json(self.message),
            "score": self.score,
            "max_score": self.max_score,
            "seconds": round(self.seconds, 3),
            "exercises": {i: e.summary() for i, e in self.exercises.items()},
            "checks": [c.to_json() for c in self.checks],
            "isolation": self.isolation,
            "device": self.device,
            "kit_version": self.kit_version,
        }

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        """A record back from its JSON; the totals, the notes and the exercises' lines are derived."""
        checks = [CheckResult.from_json(c) for c in data["checks"]]
        return cls(
            student=data["student"],
            folder=data["folder"],
            fingerprint=data["fingerprint"],
            status=Status(data["status"]),
            exercises=by_exercise(checks, list(data.get("exercises", {}))),
            message=msg_from(data.get("message")),
            seconds=float(data.get("seconds", 0.0)),
            isolation=data.get("isolation", ""),
            device=data.get("device", "cpu"),
            kit_version=data.get("kit_version", ""),
        )


class RunState(_Word):
    """How a run of the local engine ended."""

    DONE = "done"  # every check of the exercise has a result; a job returned or was stopped
    FAILED = "failed"  # the engine itself failed (its worker died, a bad request): no result
    CANCELLED = "cancelled"  # stopped on request (watch: the file changed again)


@dataclass
class RunOutcome:
    """One run of the local engine (an exercise's checks, or a job), as the front ends get it.

    ``printed``: what the student's code printed, :meth:`blitz.execution.output.Printed.as_dict`'s
    head, tail and count; ``stopped``: the stop that stood for the checks after it (a job: its stop);
    ``why``: what failed, when ``state`` is FAILED; ``value``, ``call``, ``stop_status``: a job's."""

    state: RunState
    exercise: str = ""
    results: list[CheckResult] = field(default_factory=list)
    printed: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    stopped: Msg | None = None
    why: str = ""
    value: Any = None
    call: str = ""
    stop_status: str = ""

    @classmethod
    def failed(cls, why: str) -> RunOutcome:
        return cls(RunState.FAILED, why=why)

    @classmethod
    def cancelled(cls) -> RunOutcome:
        return cls(RunState.CANCELLED)

    @property
    def done(self) -> bool:
        return self.state is RunState.DONE

    def to_json(self) -> dict[str, Any]:
        if self.state is RunState.FAILED:
            return {"failed": self.why}
        if self.state is RunState.CANCELLED:
            return {"cancelled": True}
        data: dict[str, Any] = {
            "exercise": self.exercise,
            "results": [r.to_json() for r in self.results],
            "printed": self.printed,
            "seconds": self.seconds,
            "stopped": msg_json(self.stopped),
        }
        extra = {"value": self.value, "call": self.call, "status": self.stop_status}
        return {**data, **{k: v for k, v in extra.items() if v not in (None, "")}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunOutcome:
        """The host's JSON (:mod:`blitz.execution.host`) read back."""
        if "failed" in data:
            return cls.failed(str(data["failed"]))
        if data.get("cancelled"):
            return cls.cancelled()
        return cls(
            RunState.DONE,
            exercise=str(data.get("exercise", "")),
            results=[CheckResult.from_json(r) for r in data.get("results", [])],
            printed=dict(data.get("printed") or {}),
            seconds=float(data.get("seconds", 0.0)),
            stopped=msg_from(data.get("stopped")),
            value=data.get("value"),
            call=str(data.get("call", "")),
            stop_status=str(data.get("status", "")),
        )
