"""The reports a grading platform reads, from the records of :mod:`blitz.grading.runner`
(:class:`blitz.engine.results.SubmissionResult`).

- ``<out>/<student>/results.json`` — Gradescope's autograder format
  (https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level score,
  execution_time, output, visibility, stdout_visibility, tests[] (name, number, score, max_score,
  status "passed"/"failed", output, visibility, tags, extra_data.execution_time) and extra_data, where
  blitz keeps the whole record, ``SubmissionResult.to_json()`` (with the fingerprint that lets a
  stopped batch resume: :func:`record_from_results` reads it back).
- ``<out>/grades.csv`` — one row per submission: student, total, max_total, one column per
  graded exercise in the course's order, status, notes. Points as :func:`blitz.course.text.points`
  writes them: at most two decimals, no trailing zeros (the reference's total is ``100``).
- ``<out>/junit.xml`` — one <testsuite> per submission (its score and max_score properties written
  the same way), one <testcase> per check.
- :func:`summary_table` — the table printed at the end of `blitz grade`.

Every file is written atomically (a temporary file, then os.replace): a stopped batch never
leaves half a report behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, tr
from blitz.course.text import clip, display_width, pad, points
from blitz.engine.results import CheckResult, SubmissionResult
from blitz.grading.names import clean, clean_tree, csv_cell, is_student_id, report_text, student_id, terminal
from blitz.grading.policy import Applied

FORMAT = "blitz-grade/1"


def atomic_write(path: Path, text: str | bytes) -> None:
    """`text` (UTF-8) or bytes into `path`, all or nothing: a temporary file, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _render(message: Msg | None, lang: str) -> str:
    """A message for a report; it may quote a student's exception, so it is cleaned (names.report_text)."""
    return "" if message is None else report_text(message.render(lang))


def _num(x: float) -> float:
    return round(float(x), 4)


# ---------------------------------------------------------------------------------------------- results.json


def test_name(row: CheckResult, lang: str) -> str:
    title = _render(row.title, lang).replace("\n", " / ")
    return f"{row.key}: {title}" if title else row.key


def test_output(row: CheckResult, lang: str) -> str:
    if row.passed:
        return tr("passed").render(lang).replace("\n", " / ")
    return _render(row.message, lang)


def results_json(record: SubmissionResult, lang: str = "both", applied: Applied | None = None, files: str = "") -> dict:
    """Gradescope's results.json; with `applied` (the course policy) its top-level score is the final
    score and its output and extra_data say the steps; `files`: the files-only fingerprint."""
    tests = []
    for number, row in enumerate(record.checks, start=1):
        tests.append(
            {
                "name": test_name(row, lang),
                "number": str(number),
                "score": _num(row.score),
                "max_score": _num(row.max_score),
                "status": "passed" if row.passed else "failed",
                "output": test_output(row, lang),
                "visibility": "visible",
                "tags": [row.exercise, row.status.value],
                # Gradescope documents no per-test time; it may keep any data of ours in extra_data.
                "extra_data": {"execution_time": _num(round(row.seconds, 3))},
            }
        )
    extra: dict = {"policy": applied.to_json()} if applied is not None else {}
    if files:
        extra["files"] = files
    return {
        "score": _num(final(record, applied)),
        "execution_time": _num(round(record.seconds, 3)),
        "output": overall_output(record, lang, applied),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "format": FORMAT,
            "max_score": _num(record.max_score),
            "fingerprint": record.fingerprint,
            "record": record.to_json(),
            **extra,
        },
    }


def final(record: SubmissionResult, applied: Applied | None) -> float:
    """The student's score: the policy's final one, else the checks'."""
    return applied.final if applied is not None else record.score


def policy_lines(record: SubmissionResult, applied: Applied | None, lang: str) -> list[str]:
    """The steps from the checks' score to the final one (none when the policy changes nothing)."""
    if applied is None or (not applied.adjustments and not applied.days_late):
        return []
    lines = [report_text(line.render(lang)).replace("\n", " / ") for line in applied.lines()]
    lines.append(
        tr(
            "Final score {points_applied_final} / {points_record_max_score}",
            points_applied_final=points(applied.final),
            points_record_max_score=points(record.max_score),
        )
        .render(lang)
        .replace("\n", " / ")
    )
    return lines


def overall_output(record: SubmissionResult, lang: str, applied: Applied | None = None) -> str:
    lines = [
        tr(
            "Score {points_record_score} / {points_record_max_score}",
            points_record_score=points(record.score),
            points_record_max_score=points(record.max_score),
        ).render(lang)
    ]
    lines += policy_lines(record, applied, lang)
    if record.message is not None:
        lines.append(_render(record.message, lang))
    for exercise_id, ex in record.exercises.items():
        lines.append(f"{exercise_id}: {points(ex.score)} / {points(ex.max_score)} ({ex.status.value})")
    return "\n".join(lines)


def record_from_results(path: Path) -> SubmissionResult | None:
    """The record a results.json was written from; None when it is not one of ours (or is damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        extra = data["extra_data"]
        if extra.get("format") != FORMAT:
            return None
        record = extra["record"]
        if record.get("fingerprint") != extra.get("fingerprint"):
            return None
        return SubmissionResult.from_json(record)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def student_folder(out: Path, student: str) -> Path:
    """Where one student's results.json goes: out/<student>, never a report file's path nor outside out
    (discover makes ids safe; this holds for records read back from disk too)."""
    base, mark, copy = str(student).partition("%%")  # a refused copy of a name reached twice: x%%2
    if is_student_id(base) and (not mark or copy.isdecimal() and copy.isascii()):
        return out / student
    return out / f"{student_id(student)}-renamed"


def write_if_changed(path: Path, text: str) -> None:
    """atomic_write, skipped when the file already holds `text` (a resumed batch leaves it alone)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, text)


def write_results(
    out: Path, record: SubmissionResult, lang: str, applied: Applied | None = None, files: str = ""
) -> Path:
    path = student_folder(out, record.student) / "results.json"
    data = clean_tree(results_json(record, lang, applied, files))
    write_if_changed(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path


def kept_files(path: Path) -> str:
    """The files-only fingerprint a results.json of ours holds ("" when none)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))["extra_data"].get("files", "")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ""
    return found if isinstance(found, str) else ""


# ---------------------------------------------------------------------------------------------- CSV


def graded_exercises(records: list[SubmissionResult]) -> list[str]:
    seen = {e for r in records for e in r.exercises}
    return [e.id for e in registry.EXERCISES if e.id in seen]


POLICY_COLUMNS = ("adjustments", "late_days", "penalty", "final")


def policy_cells(record: SubmissionResult, applied: Applied | None) -> list[str]:
    """adjustments (net points), late_days, penalty (points), final: the policy's steps."""
    if applied is None:
        return ["0", "0", "0", points(record.score)]
    return [
        points(applied.adjusted - applied.earned),
        str(applied.days_late),
        points(applied.penalty),
        points(applied.final),
    ]


def grades_csv(records: list[SubmissionResult], applied: dict[str, Applied] | None = None) -> str:
    """`total` is what the checks earned (as before the course policy existed); `final` what the
    student gets after adjustments and the late penalty."""
    columns = graded_exercises(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "total", "max_total", *columns, "status", "notes", *POLICY_COLUMNS])
    for r in records:
        scores = [points(r.exercises[e].score) if e in r.exercises else "" for e in columns]
        writer.writerow(
            [
                csv_cell(r.student),
                points(r.score),
                points(r.max_score),
                *scores,
                csv_cell(r.status.value),
                csv_cell(r.notes),
                *policy_cells(r, (applied or {}).get(r.student)),
            ]
        )
    return clean(buffer.getvalue(), keep="\n")  # every cell is cleaned already; this holds for the rest too


# ---------------------------------------------------------------------------------------------- JUnit


def junit_xml(records: list[SubmissionResult], lang: str = "en", applied: dict[str, Applied] | None = None) -> str:
    suites = ET.Element("testsuites", name="blitz grade")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for r in records:
        rows = r.checks
        failures = sum(1 for c in rows if not c.passed and not c.status.is_error)
        errors = sum(1 for c in rows if c.status.is_error)
        seconds = round(r.seconds, 3)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=report_text(r.student),
            tests=str(len(rows)),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
            time=f"{seconds:.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("score", points(r.score)),
            ("max_score", points(r.max_score)),
            ("status", r.status.value),
            ("folder", report_text(r.folder)),
            *zip(POLICY_COLUMNS, policy_cells(r, (applied or {}).get(r.student))),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        for c in rows:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=report_text(f"{r.student}.{c.exercise}"),
                name=c.key,
                time=f"{round(c.seconds, 3):.3f}",
            )
            if not c.passed:
                status = c.status.value
                text = _render(c.message, lang) or status
                tag = "error" if c.status.is_error else "failure"
                element = ET.SubElement(case, tag, message=text.splitlines()[0][:300] if text else status, type=status)
                element.text = text
        totals["tests"] += len(rows)
        totals["failures"] += failures
        totals["errors"] += errors
        total_time += seconds
    for key, total in totals.items():
        suites.set(key, str(total))
    suites.set("time", f"{total_time:.3f}")
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + clean(text, keep="\n\t") + "\n"  # no control char XML refuses


# ---------------------------------------------------------------------------------------------- terminal


def summary_table(records: list[SubmissionResult], finals: dict[str, float] | None = None) -> str:
    """The table; with `finals` (a course policy is in force) a `final` column after `total`."""
    columns = graded_exercises(records)
    width = min(24, max([7] + [display_width(terminal(r.student)) for r in records]))
    extra = f"{'final':>7} " if finals is not None else ""
    head = f"{'student':<{width}} {'total':>7} {extra}" + " ".join(f"{c[:8]:>8}" for c in columns) + "  status"
    lines = [head, "-" * len(head)]
    for r in records:
        cells = " ".join(f"{points(r.exercises[c].score):>8}" if c in r.exercises else f"{'':>8}" for c in columns)
        flags = [f"{e}:{s.status.value}" for e, s in r.exercises.items() if s.status.is_error]
        status = terminal(r.status.value + (f" ({', '.join(flags)})" if flags else ""))
        got = f"{points(finals.get(r.student, r.score)):>7} " if finals is not None else ""
        lines.append(f"{pad(clip(terminal(r.student), width), width)} {points(r.score):>7} {got}{cells}  {status}")
    if records:
        mean = sum(r.score for r in records) / len(records)
        lines.append("-" * len(head))
        if finals is not None:
            mean_final = sum(finals.get(r.student, r.score) for r in records) / len(records)
            lines.append(
                f"{'mean':<{width}} {points(mean):>7} {points(mean_final):>7}  ({len(records)} submissions / 份提交)"
            )
        else:
            lines.append(f"{'mean':<{width}} {points(mean):>7}  ({len(records)} submissions / 份提交)")
    return "\n".join(lines)
