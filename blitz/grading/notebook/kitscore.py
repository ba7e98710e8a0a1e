"""Scores from the kit's engine: a notebook's code graded in `blitz grade`'s sandbox, written into nbgrader.

For each student :func:`grade_notebook` turns the notebook's code cells into an exercise module
(:mod:`.extract`), and grades it the way `blitz grade` does: the student's code in a sandboxed worker
(:class:`~blitz.execution.sandbox.isolated.IsolatedSubmission`), the checks here, in the trusted process.
Each check runs on the seeds of its test cell: the students' seed 0, then, if that passes, the hidden
test's seed (``HIDDEN_SEED + i``); it scores its points only when both pass, as the test cell does.

:func:`write_scores` puts each check's score into nbgrader's gradebook as the auto score of its test
cell (nbgrader's own API), and :func:`write_outputs` writes each check's verdict into that cell's
outputs in the autograded notebook (what the feedback shows), in place of what the kernel printed.
Nothing the kernel printed or wrote decides anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from blitz.course.i18n import chosen_lang, tr
from blitz.engine.results import CheckResult, Status, SubmissionResult
from blitz.grading.discover import Target
from blitz.grading.runner import Options, zero_record

MEMORY_BYTES = 3 << 30


@dataclass
class NotebookGrade:
    """One student's kit grade of one assignment: the runs of each check and the record."""

    student: str
    runs: dict[str, list[CheckResult]]
    record: SubmissionResult


def deciding(runs: list[CheckResult]) -> CheckResult:
    """The run that decides a test cell: the first that failed, else the last."""
    return next((r for r in runs if not r.passed), runs[-1])


def budget(cell_timeout: float) -> float:
    """The exercise's time for all its checks: room for a cell that runs into its limit at import."""
    return max(120.0, 3 * float(cell_timeout))


def options_for(assignment: str, cell_timeout: float, hide: tuple[str, ...]) -> Options:
    from blitz.course import mnist

    return Options(
        exercises=(assignment,),
        timeout=budget(cell_timeout),
        data_root=str(mnist.data_root()),
        seed=0,
        memory_bytes=MEMORY_BYTES,
        threads=1,
        hide=hide,
    )


def kit_runs(target: Target, exercise_id: str, options: Options, session, ctx, _seeds=()) -> list[CheckResult]:
    """Every check of the exercise on the test cells' seeds, in the submission's sandbox (made as `blitz
    grade` makes it: :func:`blitz.grading.runner.grade_once`): each check's first run and, when it
    passed, its hidden-seed run."""
    from blitz.authoring.notebooks import HIDDEN_SEED
    from blitz.checks import checks_for
    from blitz.course import registry
    from blitz.execution.sandbox.isolated import IsolatedSubmission
    from blitz.grading.runner import judge_check

    sub = IsolatedSubmission(target.folder, exercise_id, timeout=options.budget(exercise_id), session=session)
    rows: list[CheckResult] = []
    try:
        for index, entry in enumerate(checks_for(exercise_id)):
            rows.append(judge_check(entry, sub, ctx))
            if rows[-1].passed and exercise_id != registry.CAPSTONE.id:  # the capstone trains once
                rows.append(judge_check(entry, sub, replace(ctx, seed=HIDDEN_SEED + index)))
    finally:
        sub.close()
    return rows


def by_check(rows: list[CheckResult]) -> dict[str, list[CheckResult]]:
    runs: dict[str, list[CheckResult]] = {}
    for row in rows:
        runs.setdefault(row.name, []).append(row)
    return runs


def grade_module(folder: Path, exercise_id: str, options: Options) -> tuple[SubmissionResult, dict]:
    """(the record, each check's runs by name): the notebook's module graded once."""
    from blitz.grading.runner import grade_once

    def pick(_exercise_id: str, rows: list[CheckResult]) -> list[CheckResult]:
        return [deciding(runs) for runs in by_check(rows).values()]

    graded = grade_once(Target(folder.name, str(folder)), options, judge=kit_runs, pick=pick)
    return graded.record, by_check(graded.runs.get(exercise_id, []))


def run_seeds(folder: Path, exercise_id: str, options: Options) -> dict[str, list[CheckResult]]:
    """Each check's runs by name (:func:`grade_module`)."""
    return grade_module(folder, exercise_id, options)[1]


def read_first(notebooks: list[Path]):
    """(the first of `notebooks` that reads as a notebook, its path), or (None, why)."""
    from blitz.execution.files import UnsafeFile
    from blitz.grading.notebook.extract import read_notebook

    why = "no notebook was handed in"
    for path in notebooks:
        try:
            return read_notebook(path), path
        except (UnsafeFile, ValueError, UnicodeError, RecursionError) as exc:  # nbformat: ValueErrors; deep nesting
            why = str(exc)[:300]
    return None, why


def grade_notebook(
    student: str, assignment: str, notebooks: list[Path], scratch: Path, cell_timeout: float, hide=()
) -> NotebookGrade:
    """The kit's grade of one student's notebook: the first of `notebooks` that can be read (the
    autograded one, where nbgrader restored the read-only cells, then the one handed in)."""
    from blitz.grading.notebook.extract import write_module

    started = time.perf_counter()
    options = options_for(assignment, cell_timeout, tuple(hide))
    code = scratch / "code"
    target = Target(student=student, folder=str(code))
    nb, path = read_first(notebooks)
    if nb is None:
        message = tr("No notebook to grade ({path}).", path=path)
        return NotebookGrade(student, {}, zero_record(target, options, message, Status.MISSING, ""))
    from blitz.course import registry

    # The capstone's notebook holds the whole pipeline: its code is each of the modules it runs together.
    modules = registry.CAPSTONE.inputs if assignment == registry.CAPSTONE.id else (assignment,)
    for module in modules:
        write_module(nb, module, path.name, code, cell_timeout)
    record, runs = grade_module(code, assignment, options)
    record = replace(record, student=student, seconds=time.perf_counter() - started)
    return NotebookGrade(student, runs, replace(record, folder=str(path.parent)))


def write_scores(db_url: str, assignment: str, grade: NotebookGrade) -> int:
    """Each check's score as the auto score of its test cell in nbgrader's gradebook; how many were set."""
    from nbgrader.api import Gradebook, MissingEntry

    from blitz.checks import checks_for

    written = 0
    with Gradebook(db_url) as gb:
        for entry in checks_for(assignment):
            try:
                cell = gb.find_grade(f"test_{entry.name}", assignment, assignment, grade.student)
            except MissingEntry:
                continue
            runs = grade.runs.get(entry.name)
            cell.auto_score = deciding(runs).score if runs else 0.0
            cell.needs_manual_grade = False
            written += 1
        gb.db.commit()
    return written


def cell_outputs(entry, runs: list[CheckResult], lang: str) -> list:
    """A test cell's outputs, as the cell itself prints them when it runs the checks."""
    from nbformat.v4 import new_output

    from blitz.frontends.notebook import failure_text, passed_line

    outputs = []
    for index, result in enumerate(runs):
        if result.passed:
            outputs.append(new_output("stream", name="stdout", text=passed_line(result, index > 0, lang) + "\n"))
        else:
            text = failure_text(entry, result, index > 0, lang)
            outputs.append(new_output("error", ename="CheckFailed", evalue=text, traceback=[f"CheckFailed: {text}"]))
    return outputs


def write_outputs(path: Path, assignment: str, grade: NotebookGrade) -> bool:
    """The kit's verdicts in the autograded notebook's test cells (and its score cell). False when
    the notebook could not be read (then it keeps what the kernel printed)."""
    import nbformat
    from nbformat.v4 import new_output

    from blitz.checks import checks_for
    from blitz.execution.files import UnsafeFile
    from blitz.frontends.notebook import score_text
    from blitz.grading.notebook.extract import read_notebook

    try:
        nb = read_notebook(path)
    except (OSError, UnsafeFile, ValueError, UnicodeError):
        return False
    lang = chosen_lang()
    entries = {f"test_{e.name}": e for e in checks_for(assignment)}
    rows = [
        (e.key, deciding(grade.runs[e.name]).passed, 0.0, e.max_score) for e in entries.values() if e.name in grade.runs
    ]
    rows = [(k, ok, top if ok else 0.0, top) for k, ok, _, top in rows]
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if cell.cell_type != "code":
            continue
        if meta.get("grade") and gid in entries and entries[gid].name in grade.runs:
            cell.outputs = cell_outputs(entries[gid], grade.runs[entries[gid].name], lang)
        elif gid == "score_so_far" and meta.get("locked"):
            text = score_text(rows, lang, ("评分结果", "Graded"))
            cell.outputs = [new_output("stream", name="stdout", text=text + "\n")]
    nbformat.write(nb, path)
    return True
