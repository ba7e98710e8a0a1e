"""A course's rules applied to graded scores: due dates, extensions, a late penalty, manual adjustments.

Grading decides what a submission's code earns; this module decides what the student gets. It
never changes a grading record (so a regrade with another due date or a new adjustment needs no
sandbox), and every export shows the steps: the checks' score, each adjustment, the late penalty,
the final score.

- **Due date**: ``--due 2026-12-01T23:59`` (ISO 8601; without an offset it is the grading machine's
  local time). **Extensions**: a CSV of ``student,due`` rows. **Submission times**: a CSV of
  ``student,submitted`` rows (an LMS's export) wins; else the time the LMS marked (a Canvas ``LATE``
  file counts as late, by one day when no time is known); else the newest modification time of the
  submission's files (by lstat).
- **Late penalty**: ``--late-penalty 10`` takes 10% of the (adjusted) score per started day late,
  up to ``--late-cap`` percent (default 100), after ``--grace`` minutes (default 0).
- **Adjustments**: a CSV (``student,target,points,comment``; target empty for the total, an
  exercise id, or a check key such as ``tensors.from_data``) that the instructor keeps beside the
  reports: blitz only reads it, so it survives every regrade. An adjustment to an exercise or a
  check never takes it below 0 or above its points; the final score stays within 0 and the maximum.

Bad rows are reported (file, line, what is wrong), never silently dropped and never a crash.
"""

from __future__ import annotations

import csv
import math
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from blitz.course.i18n import Msg, tr

DAY = timedelta(days=1)
ADJUSTMENT_COLUMNS = ("student", "target", "points", "comment")


class PolicyError(ValueError):
    """A policy input the grader cannot use; ``msg`` says which file, which line and why."""

    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


def parse_time(text: str, where: tuple[str, str] = ("", "")) -> datetime:
    """An ISO 8601 time (``2026-12-01T23:59``, ``2026-12-01 23:59:00+08:00``); local time when it
    names no offset. `where` prefixes the error (zh, en)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PolicyError(
            tr(
                "{where_1}cannot read the time {text!r}: write it as ISO 8601, such as 2026-12-01T23:59.",
                where_1=where[1],
                text=text,
                where_0=where[0],
            )
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


@dataclass(frozen=True)
class Adjustment:
    student: str
    target: str  # "" (the total), an exercise id, or a check key
    points: float
    comment: str = ""


@dataclass(frozen=True)
class LatePolicy:
    percent_per_day: float = 0.0
    cap_percent: float = 100.0
    grace: timedelta = timedelta(0)


@dataclass
class Policy:
    due: datetime | None = None
    extensions: dict[str, datetime] = field(default_factory=dict)
    late: LatePolicy = LatePolicy()
    times: dict[str, datetime] = field(default_factory=dict)  # an LMS's submission times
    adjustments: list[Adjustment] = field(default_factory=list)

    def due_for(self, student: str) -> datetime | None:
        return self.extensions.get(student, self.due)

    @property
    def empty(self) -> bool:
        return self.due is None and not self.extensions and not self.adjustments


@dataclass(frozen=True)
class Applied:
    """One student's score under the policy, step by step."""

    earned: float  # what the checks gave
    max_score: float
    adjustments: tuple[Adjustment, ...] = ()
    adjusted: float = 0.0  # earned plus the adjustments, within 0 and the maximum
    submitted: datetime | None = None
    due: datetime | None = None
    days_late: int = 0
    penalty_percent: float = 0.0
    penalty: float = 0.0  # points taken for lateness
    final: float = 0.0

    def lines(self) -> list[Msg]:
        """What a student's feedback says of the steps from the checks' score to the final one."""
        out = []
        for a in self.adjustments:
            what = a.target or "总分"
            what_en = a.target or "the total"
            note = f"：{a.comment}" if a.comment else ""
            note_en = f": {a.comment}" if a.comment else ""
            out.append(
                tr(
                    "adjustment to {what_en}: {a_points:+g}{note_en}",
                    what_en=what_en,
                    a_points=a.points,
                    note_en=note_en,
                    what=what,
                    note=note,
                )
            )
        if self.days_late and self.submitted is None:  # the LMS marked it late, with no time
            out.append(
                tr(
                    "marked late by the LMS (due {self_due:%Y-%m-%d %H:%M}), counted as {self_days_late} day(s): {self_penalty_percent:g}% off, {self_penalty:g} points",
                    self_due=self.due,
                    self_days_late=self.days_late,
                    self_penalty_percent=self.penalty_percent,
                    self_penalty=self.penalty,
                )
            )
        elif self.days_late:
            out.append(
                tr(
                    "{self_days_late} day(s) late (due {self_due:%Y-%m-%d %H:%M}, submitted {self_submitted:%Y-%m-%d %H:%M}): {self_penalty_percent:g}% off, {self_penalty:g} points",
                    self_days_late=self.days_late,
                    self_due=self.due,
                    self_submitted=self.submitted,
                    self_penalty_percent=self.penalty_percent,
                    self_penalty=self.penalty,
                )
            )
        return out

    def to_json(self) -> dict:
        return {
            "earned": self.earned,
            "adjustments": [a.__dict__ for a in self.adjustments],
            "adjusted": self.adjusted,
            "submitted": self.submitted.isoformat() if self.submitted else None,
            "due": self.due.isoformat() if self.due else None,
            "days_late": self.days_late,
            "penalty_percent": self.penalty_percent,
            "penalty": self.penalty,
            "final": self.final,
        }


def _clamp(value: float, low: float, high: float) -> float:
    return round(min(max(value, low), high), 4)


def _adjusted(earned: float, max_score: float, parts: dict[str, tuple[float, float]], found: list[Adjustment]) -> float:
    """Earned plus the adjustments: one to an exercise or a check stays within that part's 0 and max."""
    total = earned
    for a in found:
        if a.target and a.target in parts:
            got, most = parts[a.target]
            moved = _clamp(got + a.points, 0.0, most) - got
            parts[a.target] = (got + moved, most)
            total += moved
        else:
            total += a.points
    return _clamp(total, 0.0, max_score)


def apply(
    policy: Policy,
    student: str,
    earned: float,
    max_score: float,
    parts: dict[str, tuple[float, float]] | None = None,
    submitted: datetime | None = None,
    marked_late: bool = False,
) -> Applied:
    """The policy applied to one student's score. `parts` maps exercise ids and check keys to
    (earned, max) so an adjustment to one stays within it; `submitted` is when they handed in (the
    policy's own times win), `marked_late` what the LMS said when no time is known."""
    found = tuple(a for a in policy.adjustments if a.student == student)
    adjusted = _adjusted(earned, max_score, dict(parts or {}), list(found))
    submitted = policy.times.get(student, submitted)
    due = policy.due_for(student)
    days = 0
    if due is not None and submitted is not None:
        over = submitted - due - policy.late.grace
        days = math.ceil(over / DAY) if over > timedelta(0) else 0
    elif due is not None and marked_late:
        days = 1
    percent = min(policy.late.cap_percent, policy.late.percent_per_day * days)
    penalty = round(adjusted * percent / 100, 4)
    return Applied(
        earned=earned,
        max_score=max_score,
        adjustments=found,
        adjusted=adjusted,
        submitted=submitted,
        due=due,
        days_late=days,
        penalty_percent=percent,
        penalty=penalty,
        final=_clamp(adjusted - penalty, 0.0, max_score),
    )


def newest_file_time(folder: Path | str) -> datetime | None:
    """When a submission was last changed: the newest modification time of its regular files (by
    lstat, one level deep, no link followed); None for a folder without any."""
    newest = None
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode):
                    newest = max(newest or info.st_mtime, info.st_mtime)
    except OSError:
        return None
    return datetime.fromtimestamp(newest).astimezone() if newest is not None else None


def _rows(path: Path, columns: int):
    """(line number, cells) of a CSV, a header row skipped; PolicyError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(tr("cannot read {path}: {exc}", path=path, exc=exc)) from None
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() == "student":
            continue
        if len(row) < columns:
            raise PolicyError(
                tr(
                    "{path} line {number}: {columns} columns expected, {len_row} found.",
                    path=path,
                    number=number,
                    columns=columns,
                    len_row=len(row),
                )
            )
        yield number, [c.strip() for c in row]


def read_times(path: Path) -> dict[str, datetime]:
    """``student,time`` rows: an LMS's submission times, or extensions' due dates."""
    return {
        cells[0]: parse_time(cells[1], (f"{path} 第 {n} 行：", f"{path} line {n}: ")) for n, cells in _rows(path, 2)
    }


def read_adjustments(path: Path) -> list[Adjustment]:
    """``student,target,points,comment`` rows (comment optional)."""
    found = []
    for number, cells in _rows(path, 3):
        try:
            points = float(cells[2])
        except ValueError:
            points = math.nan
        if not math.isfinite(points):
            raise PolicyError(
                tr(
                    "{path} line {number}: points {cells_2!r} is not a number.",
                    path=path,
                    number=number,
                    cells_2=cells[2],
                )
            )
        found.append(Adjustment(cells[0], cells[1], points, cells[3] if len(cells) > 3 else ""))
    return found


def unknown_targets(adjustments: list[Adjustment], targets: set[str], students: set[str]) -> list[Msg]:
    """What names no exercise or check of this grading, or no student of the class: said, so that a
    typo never moves points silently."""
    problems = []
    for a in adjustments:
        if a.target and a.target not in targets:
            problems.append(
                tr(
                    "adjustment target {a_target!r} is no exercise or check of this grading (student {a_student}).",
                    a_target=a.target,
                    a_student=a.student,
                )
            )
        if a.student not in students:
            problems.append(tr("adjustment for {a_student!r}: no such student in this class.", a_student=a.student))
    return problems


def read_roster(path: Path) -> list[str]:
    """A roster: the first column of each row is a student id (a header ``student`` skipped); an id a
    submission folder could not carry is refused, naming its line."""
    from blitz.grading.names import is_student_id

    found = []
    for number, cells in _rows(path, 1):
        if not is_student_id(cells[0]):
            raise PolicyError(
                tr(
                    "{path} line {number}: {cells_0!r} cannot be a student id (letters, digits, . _ - only).",
                    path=path,
                    number=number,
                    cells_0=cells[0],
                )
            )
        found.append(cells[0])
    return list(dict.fromkeys(found))
