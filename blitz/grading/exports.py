"""Exports beside the platform reports (blitz/grading/reports.py): per-check scores, a grade file an LMS
imports, and each student's feedback, all from the same records and messages.

- ``checks.csv`` — one row per student, one column per check (its key), the points each earned; a
  first row ``(max)`` holds each check's points.
- ``lms_grades.csv`` — the final scores (after the course policy: blitz/grading/policy.py) in the
  layout of Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, then the
  assignment's column, with a ``Points Possible`` row); ID is the LMS's id where the submission came
  from an LMS download (blitz/grading/intake.py), else the student id. Moodle's "Import grades from
  CSV" maps the same file by its ID column.
- ``<student>/feedback.md`` and ``feedback.html`` — the score step by step (checks, adjustments, late
  penalty, final), then every exercise and every check with the message the student sees elsewhere.

Student text (names, messages) is cleaned as in every report: no escape sequences, no formula in a
CSV cell; HTML is escaped; Markdown puts messages in fences longer than any run of backticks in them.
"""

from __future__ import annotations

import csv
import html
import io
import re

from blitz.course.i18n import tr
from blitz.course.text import points
from blitz.engine.results import SubmissionResult
from blitz.grading.names import csv_cell, report_text
from blitz.grading.policy import Applied
from blitz.grading.reports import test_output

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def check_keys(records: list[SubmissionResult]) -> list[str]:
    """Every check graded for some student, in the order the records list them."""
    return list(dict.fromkeys(c.key for r in records for c in r.checks))


def checks_csv(records: list[SubmissionResult]) -> str:
    keys = check_keys(records)
    most = {c.key: c.max_score for r in records for c in r.checks}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *keys])
    writer.writerow(["(max)", *(points(most[k]) for k in keys)])
    for r in records:
        earned = {c.key: c.score for c in r.checks}
        writer.writerow([csv_cell(r.student), *(points(earned[k]) if k in earned else "" for k in keys)])
    return buffer.getvalue()


def final_score(record: SubmissionResult, applied: dict[str, Applied]) -> float:
    found = applied.get(record.student)
    return found.final if found is not None else record.score


def lms_csv(
    records: list[SubmissionResult], applied: dict[str, Applied], lms_ids: dict[str, str], assignment: str
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_COLUMNS, csv_cell(assignment)])
    most = max((r.max_score for r in records), default=0.0)
    writer.writerow(["Points Possible", "", "", "", "", points(most)])
    for r in records:
        student = csv_cell(r.student)
        writer.writerow(
            [student, csv_cell(lms_ids.get(r.student, r.student)), "", "", "", points(final_score(r, applied))]
        )
    return buffer.getvalue()


def _steps(record: SubmissionResult, applied: Applied | None, lang: str) -> list[str]:
    """The score from the checks to the final one, a line each."""
    lines = [
        tr(
            "Checks: {points_record_score} / {points_record_max_score}",
            points_record_score=points(record.score),
            points_record_max_score=points(record.max_score),
        ).render(lang)
    ]
    if applied is not None:
        lines += [report_text(line.render(lang)) for line in applied.lines()]
        final = applied.final
    else:
        final = record.score
    lines.append(
        tr(
            "Final score: {points_final} / {points_record_max_score}",
            points_final=points(final),
            points_record_max_score=points(record.max_score),
        ).render(lang)
    )
    return [line.replace("\n", " / ") for line in lines]


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _title(record: SubmissionResult, lang: str) -> str:
    name = report_text(record.student).replace("\n", " ")
    return tr("Feedback for {name}", name=name).render(lang).replace("\n", " / ")


def feedback_markdown(record: SubmissionResult, applied: Applied | None, lang: str) -> str:
    out = [f"# {_title(record, lang)}", ""]
    out += [f"- {line}" for line in _steps(record, applied, lang)]
    if record.message is not None:
        out += ["", _fence(report_text(record.message.render(lang)))]
    for exercise_id, ex in record.exercises.items():
        out += ["", f"## {exercise_id}: {points(ex.score)} / {points(ex.max_score)}", ""]
        for row in ex.checks:
            mark = "✓" if row.passed else "✗"
            out.append(f"- {mark} `{row.key}` {points(row.score)} / {points(row.max_score)}")
            if not row.passed:
                out += ["", _fence(test_output(row, lang)), ""]
    return "\n".join(out).rstrip() + "\n"


def feedback_html(record: SubmissionResult, applied: Applied | None, lang: str) -> str:
    e = html.escape
    title = _title(record, lang)
    parts = [f"<h1>{e(title)}</h1><ul>"]
    parts += [f"<li>{e(line)}</li>" for line in _steps(record, applied, lang)]
    parts.append("</ul>")
    if record.message is not None:
        parts.append(f"<pre>{e(report_text(record.message.render(lang)))}</pre>")
    for exercise_id, ex in record.exercises.items():
        parts.append(f"<h2>{e(exercise_id)}: {points(ex.score)} / {points(ex.max_score)}</h2><table>")
        for row in ex.checks:
            mark = "&#10003;" if row.passed else "&#10007;"
            detail = "" if row.passed else f"<pre>{e(test_output(row, lang))}</pre>"
            parts.append(
                f"<tr class='{'pass' if row.passed else 'fail'}'><td>{mark}</td><td><code>{e(row.key)}</code></td>"
                f"<td>{points(row.score)} / {points(row.max_score)}</td><td>{detail}</td></tr>"
            )
        parts.append("</table>")
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:60em}td{vertical-align:top;padding:.2em .5em}"
        "tr.fail td:first-child{color:#b00}tr.pass td:first-child{color:#080}pre{white-space:pre-wrap;"
        "background:#f6f6f6;padding:.5em}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n"
    )
