"""The class report: how a whole class did, from its grading records
(:class:`blitz.engine.results.SubmissionResult`, as `blitz grade` and `blitz course-autograde` make them).

:func:`write_class_report` writes into ``<out>/class_report/``:

- ``pass_rate.csv`` + ``pass_rate.png`` — per check, in the course's order: how many students passed it,
  failed it, left it a stub (not_done), made it raise (error), crash or time out, did not hand in its
  file (missing), or were not graded at all (not_graded: a grader error, refused files, an empty or
  missing folder). ``pass_rate`` is passed / students, where students is every record that holds the
  check, the ungraded ones included: a student who was not graded never counts as a pass.
  ``pass_rate_graded`` leaves the ungraded out of the denominator.
- ``scores.csv`` + ``score_histogram.png`` — each student's total, and a histogram of the totals in ten
  equal bins from 0 to the maximum; the ungraded are drawn apart (at 0, in grey).
- ``exercise_time.csv`` + ``exercise_time.png`` — seconds per exercise across the graded students
  (the sum of its checks' times, the start of its sandbox included): median, mean, max, a box plot.
  An exercise whose file was not handed in took no time and is left out for that student.
- ``common_failures.csv`` — the ten commonest failure messages (failed, error, crashed, timed out;
  stubs and missing files are in pass_rate.csv instead, as their messages only say "not written"),
  ranked by how many students got them, then by how often. Messages that differ only in their numbers
  (a shape, a difference, an index, a time) are one message: every number is replaced by ``#`` in the
  ``pattern`` column; ``example_en``/``example_zh`` show the commonest wording as the students read it.

Student names and messages are made safe for CSV (no formula) and for the terminal (no control
characters) with :mod:`blitz.grading.names`; no student text is drawn in the figures. Every file is
written atomically (:func:`blitz.grading.reports.atomic_write`).
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, tr
from blitz.course.text import clip, display_width, points
from blitz.engine.results import CheckResult, Status, SubmissionResult
from blitz.grading.names import clean, csv_cell, report_text, terminal
from blitz.grading.reports import atomic_write

FOLDER = "class_report"
TOP = 10
# What a check's outcome counts as, in pass_rate.csv's column order (not_graded: the whole submission).
CATEGORIES = ("passed", "failed", "not_done", "error", "crashed", "timeout", "missing", "not_graded")
_CATEGORY = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.NOT_DONE: "not_done",
    Status.ERROR: "error",
    Status.NO_DATA: "error",
    Status.CRASHED: "crashed",
    Status.TIMEOUT: "timeout",
    Status.MISSING: "missing",
}
FAILURES = (Status.FAILED, Status.ERROR, Status.NO_DATA, Status.CRASHED, Status.TIMEOUT)
# A number standing alone (not part of a name such as conv2d or float32): 3, -0.25, 1e-05, 28.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


def graded(record: SubmissionResult) -> bool:
    return record.status is Status.GRADED


def category(record: SubmissionResult, check: CheckResult) -> str:
    return _CATEGORY.get(check.status, "error") if graded(record) else "not_graded"


def _course_index(exercise_id: str) -> int:
    ids = list(registry.BY_ID)
    return ids.index(exercise_id) if exercise_id in ids else len(ids)


# ---------------------------------------------------------------------------------------------- numbers


@dataclass
class CheckTally:
    key: str
    exercise: str
    counts: Counter = field(default_factory=Counter)

    @property
    def students(self) -> int:
        return sum(self.counts.values())

    @property
    def graded(self) -> int:
        return self.students - self.counts["not_graded"]

    @property
    def pass_rate(self) -> float:
        return self.counts["passed"] / self.students if self.students else 0.0


def pass_rates(records: list[SubmissionResult]) -> list[CheckTally]:
    """One tally per check, in the course's order (exercises as in the registry, checks as graded)."""
    tallies: dict[str, CheckTally] = {}
    for record in records:
        for check in record.checks:
            tally = tallies.setdefault(check.key, CheckTally(check.key, check.exercise))
            tally.counts[category(record, check)] += 1
    order = {key: i for i, key in enumerate(tallies)}
    return sorted(tallies.values(), key=lambda t: (_course_index(t.exercise), order[t.key]))


@dataclass
class ExerciseTime:
    exercise: str
    seconds: list[float]  # one per graded student whose file was there
    slowest: str = ""
    timeouts: int = 0  # students with a check of this exercise stopped at its time limit

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0


def exercise_times(records: list[SubmissionResult]) -> list[ExerciseTime]:
    found: dict[str, ExerciseTime] = {}
    for record in filter(graded, records):
        for exercise_id, result in record.exercises.items():
            if not result.checks or all(c.status is Status.MISSING for c in result.checks):
                continue  # nothing of it ran
            timed = found.setdefault(exercise_id, ExerciseTime(exercise_id, []))
            # to the millisecond, as results.json keeps them: a resumed batch reports the same times
            seconds = round(sum(round(c.seconds, 3) for c in result.checks), 3)
            if not timed.seconds or seconds > max(timed.seconds):
                timed.slowest = record.student
            timed.seconds.append(seconds)
            timed.timeouts += any(c.status is Status.TIMEOUT for c in result.checks)
    return sorted(found.values(), key=lambda t: _course_index(t.exercise))


def pattern(text: str) -> str:
    """A message with every number as #: messages that differ only in numbers are one message."""
    return _NUMBER.sub("#", " ".join(text.split()))


@dataclass
class Failure:
    pattern: str
    students: set[str] = field(default_factory=set)
    occurrences: int = 0
    checks: dict[str, None] = field(default_factory=dict)  # an ordered set
    wordings: Counter = field(default_factory=Counter)  # (zh, en) as the students read them

    @property
    def example(self) -> Msg:
        (zh, en), _ = self.wordings.most_common(1)[0]
        return Msg(zh, en)


def common_failures(records: list[SubmissionResult], top: int = TOP) -> list[Failure]:
    """The `top` commonest failure messages of the graded submissions: most students first, then most often."""
    found: dict[str, Failure] = {}
    for record in filter(graded, records):
        for check in record.checks:
            if check.status not in FAILURES:
                continue
            message = check.message or Msg(check.status.value, check.status.value)
            message = Msg(report_text(message.zh), report_text(message.en))  # no escapes, from here on
            failure = found.setdefault(pattern(message.en), Failure(pattern(message.en)))
            failure.students.add(record.student)
            failure.occurrences += 1
            failure.checks[check.key] = None
            failure.wordings[(message.zh, message.en)] += 1
    order = {p: i for i, p in enumerate(found)}
    ranked = sorted(found.values(), key=lambda f: (-len(f.students), -f.occurrences, order[f.pattern]))
    return ranked[:top]


# ---------------------------------------------------------------------------------------------- CSV


def _csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else ""


def pass_rate_csv(tallies: list[CheckTally]) -> str:
    rows = [
        [
            csv_cell(t.key),
            csv_cell(t.exercise),
            t.students,
            *(t.counts[c] for c in CATEGORIES),
            _rate(t.counts["passed"], t.students),
            _rate(t.counts["passed"], t.graded),
        ]
        for t in tallies
    ]
    return _csv(["check", "exercise", "students", *CATEGORIES, "pass_rate", "pass_rate_graded"], rows)


def scores_csv(records: list[SubmissionResult]) -> str:
    rows = [
        [
            csv_cell(r.student),
            points(r.score),
            points(r.max_score),
            f"{100 * r.score / r.max_score:.1f}" if r.max_score else "",
            csv_cell(r.status.value),
            "yes" if graded(r) else "no",
        ]
        for r in records
    ]
    return _csv(["student", "total", "max_total", "percent", "status", "graded"], rows)


def exercise_time_csv(times: list[ExerciseTime]) -> str:
    rows = [
        [
            csv_cell(t.exercise),
            len(t.seconds),
            f"{t.median:.3f}",
            f"{statistics.fmean(t.seconds):.3f}",
            f"{min(t.seconds):.3f}",
            f"{max(t.seconds):.3f}",
            t.timeouts,
            csv_cell(t.slowest),
        ]
        for t in times
    ]
    header = ["exercise", "students", "median_s", "mean_s", "min_s", "max_s", "timeouts", "slowest"]
    return _csv(header, rows)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def common_failures_csv(failures: list[Failure]) -> str:
    rows = [
        [
            rank,
            len(f.students),
            f.occurrences,
            csv_cell(" ".join(f.checks)),
            csv_cell(f.pattern),
            csv_cell(_one_line(f.example.en)),
            csv_cell(_one_line(f.example.zh)),
        ]
        for rank, f in enumerate(failures, start=1)
    ]
    header = ["rank", "students", "occurrences", "checks", "pattern", "example_en", "example_zh"]
    return _csv(header, rows)


# ---------------------------------------------------------------------------------------------- terminal


def _message_lines(message: Msg, lang: str, width: int) -> list[str]:
    """The message on one line per language (its lines joined), clipped to `width` terminal columns."""
    texts = (message.zh, message.en) if lang == "both" and message.zh != message.en else (message.render(lang),)
    lines = [terminal(" ".join(text.split())) for text in texts]
    return [line if display_width(line) <= width else clip(line, width - 1) + "…" for line in lines]


def summary_text(records: list[SubmissionResult], lang: str, top: int = TOP, width: int = 110) -> str:
    """What the terminal shows of the class report: who was graded, the scores, the commonest failures."""
    done = [r for r in records if graded(r)]
    left = Counter(r.status.value for r in records if not graded(r))
    why = ", ".join(f"{terminal(s)} {n}" for s, n in sorted(left.items()))
    counts = tr(
        "class: {submitted} submission(s): {graded} graded; {left} not graded",
        submitted=len(records),
        graded=len(done),
        left=len(records) - len(done),
    )
    lines = [(counts + tr(" ({why})", why=why) if why else counts).render(lang)]
    if done:
        totals = [r.score for r in done]
        top_score = points(max(r.max_score for r in done))
        numbers = f"{points(statistics.fmean(totals))}, {points(statistics.median(totals))}"
        lines.append(
            tr(
                "scores of the graded: mean, median {numbers}; min {points_min_totals}, max {points_max_totals} (of {top_score})",
                numbers=numbers,
                points_min_totals=points(min(totals)),
                points_max_totals=points(max(totals)),
                top_score=top_score,
            ).render(lang)
        )
    failures = common_failures(records, top)
    lines.append(
        tr(
            "commonest failures (students × times; stubs and missing files are in pass_rate.csv):{if_failures_else_none}",
            if_failures_else_none="" if failures else " none",
            if_failures_else_无="" if failures else "无",
        ).render(lang)
    )
    for rank, f in enumerate(failures, start=1):
        checks = terminal(" ".join(list(f.checks)[:4])) + (" …" if len(f.checks) > 4 else "")
        lines.append(f"{rank:>3}. {len(f.students)} × {f.occurrences}  {checks}")
        lines += [f"       {line}" for line in _message_lines(f.example, lang, width - 7)]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- files


def write_class_report(records: list[SubmissionResult], out_dir: Path | str, lang: str = "both") -> dict[str, Path]:
    """Write the class report of `records` into `out_dir`/class_report/; the paths written, by file name.

    `lang` is the language of the figures (zh, en or both; English where no Chinese font is
    installed); the CSV files hold both languages wherever they hold words."""
    from blitz.grading import class_figures

    folder = Path(out_dir) / FOLDER
    tallies, times = pass_rates(records), exercise_times(records)
    texts = {
        "pass_rate.csv": pass_rate_csv(tallies),
        "scores.csv": scores_csv(records),
        "exercise_time.csv": exercise_time_csv(times),
        "common_failures.csv": common_failures_csv(common_failures(records)),
    }
    done = [r for r in records if graded(r)]
    pictures = {
        "pass_rate.png": class_figures.pass_rate_png(
            [(t.key, t.exercise, [t.counts[c] for c in CATEGORIES]) for t in tallies], CATEGORIES, lang
        ),
        "score_histogram.png": class_figures.score_histogram_png(
            [r.score for r in done],
            len(records) - len(done),
            max((r.max_score for r in records), default=0.0),
            lang,
        ),
        "exercise_time.png": class_figures.exercise_time_png([(t.exercise, t.seconds) for t in times], lang),
    }
    written = {}
    files: dict[str, str | bytes] = {**texts, **pictures}
    for name, content in files.items():
        # every cell is cleaned already (names.csv_cell); the one sanitizer again over the whole text
        atomic_write(folder / name, clean(content, keep="\n\t") if isinstance(content, str) else content)
        written[name] = folder / name
    return written
