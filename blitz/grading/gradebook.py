"""`blitz grade`'s course side: what it is handed (LMS downloads, zips, notebooks, a roster) and what the
students get (the course policy: blitz/grading/policy.py; the exports: blitz/grading/exports.py).

The policy is applied when the reports are written, never stored in a grading record: a new due date
or a new adjustment re-writes every report from the kept records, without a sandbox.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from blitz.course.i18n import Msg, tr
from blitz.engine.results import Status, SubmissionResult
from blitz.grading import exports, reports
from blitz.grading import policy as rules
from blitz.grading.discover import Target
from blitz.grading.intake import Entry
from blitz.grading.names import student_id, terminal

STAGED = ".staged"  # under OUT: hidden from discovery (a dot folder) and from every sandbox (OUT is)
ADJUSTMENTS = "adjustments.csv"


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("course policy and exports / 课程规则与导出")
    g.add_argument("--due", default=None, help="due date, ISO 8601 (2026-12-01T23:59; local time without an offset)")
    g.add_argument("--extensions", metavar="CSV", default=None, help="per-student due dates: student,due rows")
    g.add_argument(
        "--times",
        metavar="CSV",
        default=None,
        help="submission times (an LMS's export): student,submitted rows; "
        "default: the LMS's late mark, else the newest modification time of the student's files",
    )
    g.add_argument("--late-penalty", metavar="PCT", type=float, default=0.0, help="percent off per started day late")
    g.add_argument("--late-cap", metavar="PCT", type=float, default=100.0, help="most percent taken for lateness")
    g.add_argument("--grace", metavar="MIN", type=float, default=0.0, help="minutes after the due date still on time")
    g.add_argument(
        "--adjustments",
        metavar="CSV",
        default=None,
        help="student,target,points,comment rows (target: empty for "
        "the total, an exercise id or a check key); default OUT/adjustments.csv when it exists; never written",
    )
    g.add_argument("--roster", metavar="CSV", default=None, help="student ids (first column): absent ones are missing")
    g.add_argument("--assignment", metavar="NAME", default="blitz", help="the LMS gradebook's column (default blitz)")
    g.add_argument(
        "--student",
        metavar="ID",
        action="append",
        default=None,
        help="grade only this student of the class (repeatable); the class's reports keep everyone else's kept results",
    )


@dataclass
class Course:
    policy: rules.Policy = field(default_factory=rules.Policy)
    entries: dict[str, Entry] = field(default_factory=dict)  # student -> what the LMS said
    origin: dict[str, str] = field(default_factory=dict)  # student -> their own folder (before staging)
    roster: list[str] = field(default_factory=list)
    assignment: str = "blitz"
    # the students of the class folder(s) now, --student or not; None when the PATHs name single
    # submissions (then the class is whoever OUT holds results of)
    present: set[str] | None = None

    def applied(self, record: SubmissionResult) -> rules.Applied:
        parts = {e: (x.score, x.max_score) for e, x in record.exercises.items()}
        parts.update({c.key: (c.score, c.max_score) for c in record.checks})
        entry = self.entries.get(record.student)
        submitted = None
        if entry is None and record.status is Status.GRADED:
            submitted = rules.newest_file_time(self.origin.get(record.student, record.folder))
        late = entry.late if entry is not None else False
        return rules.apply(self.policy, record.student, record.score, record.max_score, parts, submitted, late)


def _number(value: float, name: str, low: float, high: float | None = None) -> None:
    if value < low or (high is not None and value > high):
        if high is None:
            raise rules.PolicyError(tr("{name} must be at least {low:g}.", name=name, low=low))
        raise rules.PolicyError(
            tr("{name} must be at least {low:g} and at most {high:g}.", name=name, low=low, high=high)
        )


def load(args: argparse.Namespace, out: Path) -> Course:
    """The course's rules from the command line (PolicyError naming the file and line when bad)."""
    _number(args.late_penalty, "--late-penalty", 0.0)
    _number(args.late_cap, "--late-cap", 0.0, 100.0)
    _number(args.grace, "--grace", 0.0)
    found_rules = rules.Policy(late=rules.LatePolicy(args.late_penalty, args.late_cap, timedelta(minutes=args.grace)))
    if args.due:
        found_rules.due = rules.parse_time(args.due, ("--due：", "--due: "))
    if args.extensions:
        found_rules.extensions = rules.read_times(Path(args.extensions))
    if args.times:
        found_rules.times = rules.read_times(Path(args.times))
    found = Path(args.adjustments) if args.adjustments else out / ADJUSTMENTS
    if args.adjustments or found.is_file():
        found_rules.adjustments = rules.read_adjustments(found)
    roster = rules.read_roster(Path(args.roster)) if args.roster else []
    return Course(policy=found_rules, roster=roster, assignment=args.assignment)


def stage(paths: list[str], out: Path, course: Course) -> tuple[list[str], list[Msg]]:
    """The paths to discover: zips and LMS downloads staged under OUT/.staged/intake."""
    from blitz.grading.intake import prepare

    intake = prepare(paths, out / STAGED / "intake")
    course.entries.update(intake.entries)
    return intake.paths, intake.notes


def with_notebooks(targets: list[Target], out: Path, course: Course) -> tuple[list[Target], list[Msg]]:
    """Each submission whose notebook stands in for a module is graded from a folder of the grader's
    (OUT/.staged/notebooks/<student>) holding its modules and the notebook's module."""
    import shutil

    from blitz.grading.notebook_submission import with_notebooks as staged

    notes: list[Msg] = []
    done = []
    for t in targets:
        course.origin.setdefault(t.student, t.folder)
        if t.problem:
            done.append(t)
            continue
        place = out / STAGED / "notebooks" / student_id(t.student)
        if place.exists():
            shutil.rmtree(place)
        folder, said = staged(Path(t.folder), place)
        notes += [
            tr("{terminal_t_student}: {m_en}", terminal_t_student=terminal(t.student), m_en=m.en, m_zh=m.zh)
            for m in said
        ]
        done.append(Target(t.student, str(folder)) if folder != Path(t.folder) else t)
    return done, notes


def only(targets: list[Target], students: list[str] | None) -> tuple[list[Target], list[str]]:
    """--student: the targets of those students, and the ids that name none."""
    if not students:
        return targets, []
    wanted = set(students)
    return [t for t in targets if t.student in wanted], sorted(wanted - {t.student for t in targets})


def the_class(paths: list[str], found: list[Target], course: Course) -> None:
    """course.present: everyone discovered, when a PATH is a class folder (whose subfolders are the class)."""
    from blitz.grading.discover import is_class_folder

    if any(is_class_folder(p) for p in paths):
        course.present = {t.student for t in found}


def _still_in_class(record: SubmissionResult, course: Course) -> bool:
    """A kept record describes a student of the class: their folder is in the class folder now (when
    that is known), or they are missing on the last roster given (no roster this run: it stands)."""
    if course.present is None or record.student in course.present:
        return True
    return record.status is Status.MISSING and not course.roster


def whole_class(
    out: Path, records: list[SubmissionResult], course: Course, options, left_out: list[str] | None = None
) -> list[SubmissionResult]:
    """This run's records, then every other valid results.json in OUT of a student still in the class
    (course.present, when known; a missing student of an earlier roster stays until a roster is given
    again), then the roster's absent students (missing, whatever OUT holds of them). The students
    whose results OUT holds but who are in neither the class folder nor the roster go into
    `left_out`: their results stay on disk and are reported nowhere."""
    from blitz.grading.runner import zero_record

    found = list(records)
    known = {r.student for r in found}
    try:
        children = sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    except OSError:
        children = []
    for child in children:
        record = reports.record_from_results(child / "results.json") if child.name not in known else None
        if record is not None and reports.student_folder(out, record.student) == child:
            if not _still_in_class(record, course):
                if left_out is not None and record.student not in course.roster:
                    left_out.append(record.student)
                continue
            found.append(record)
            known.add(record.student)
    for student in course.roster:
        if student not in known:
            said = tr("No submission from {student} (on the roster).", student=student)
            found.append(zero_record(Target(student, "", "missing"), options, said, Status.MISSING))
            known.add(student)
    return found


def _earlier_results(path: Path) -> bool:
    kept = reports.record_from_results(path) if path.is_file() else None
    return kept is not None and kept.status is not Status.MISSING


def write_all(out: Path, records: list[SubmissionResult], course: Course, lang: str, files: dict[str, str]) -> dict:
    """Every report of the whole class under the course policy: results.json (only where it changed),
    feedback, grades.csv, junit.xml, checks.csv, lms_grades.csv. Returns student -> Applied."""
    applied = {r.student: course.applied(r) for r in records}
    for r in records:
        path = reports.student_folder(out, r.student) / "results.json"
        if r.status is Status.MISSING and _earlier_results(path):
            continue  # a roster's student whose folder was removed: their earlier results stay on disk
        reports.write_results(out, r, lang, applied[r.student], files.get(r.student) or reports.kept_files(path))
        reports.write_if_changed(path.parent / "feedback.md", exports.feedback_markdown(r, applied[r.student], lang))
        reports.write_if_changed(path.parent / "feedback.html", exports.feedback_html(r, applied[r.student], lang))
    reports.atomic_write(out / "grades.csv", reports.grades_csv(records, applied))
    reports.atomic_write(out / "junit.xml", reports.junit_xml(records, lang, applied))
    reports.atomic_write(out / "checks.csv", exports.checks_csv(records))
    lms_ids = {s: e.lms_id for s, e in course.entries.items() if e.lms_id}
    reports.atomic_write(out / "lms_grades.csv", exports.lms_csv(records, applied, lms_ids, course.assignment))
    return applied


def left_out_note(out: Path, students: list[str]) -> Msg:
    names = ", ".join(terminal(s) for s in students)
    return tr(
        "{names}: no longer in the class folder (nor on the roster), so left out of the class's grades and reports; their earlier results stay in {out}/<student>/.",
        names=names,
        out=out,
        value="、".join(terminal(s) for s in students),
    )


def unknown_adjustments(course: Course, records: list[SubmissionResult]) -> list[Msg]:
    targets = {e for r in records for e in r.exercises} | {c.key for r in records for c in r.checks}
    return rules.unknown_targets(course.policy.adjustments, targets, {r.student for r in records})
