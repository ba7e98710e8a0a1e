"""Many submissions: a local process pool (or Dask), resumable, every report written atomically; the
class report (:mod:`blitz.grading.class_report`) at the end of every batch, a resumed one included.

The pool processes are the grader's own (trusted) code; each starts one sandbox for its submission
(a fresh child of its warm worker per exercise). A submission whose results.json holds the same
fingerprint (its files, the kit version, the options) is not graded again unless `force`: a stopped
batch resumes where it stopped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from blitz import __version__
from blitz.course import registry
from blitz.course.i18n import Msg
from blitz.engine.results import Status, SubmissionResult, by_exercise
from blitz.execution import files as submission_files
from blitz.grading import budget_share, capstone_budget, reports
from blitz.grading.discover import Target
from blitz.grading.names import terminal
from blitz.grading.pool import pool_context, start_pool_process
from blitz.grading.runner import Options, fingerprint, grade_submission, grader_error_record

POOL_ROUNDS = 2  # a pool that broke (the grader's own crash) is rebuilt once for the unfinished submissions


@dataclass
class BatchResult:
    records: list[SubmissionResult]
    graded: int = 0
    reused: int = 0
    grader_errors: list[str] = field(default_factory=list)
    class_report: dict[str, Path] = field(default_factory=dict)  # file name -> path (class_report.py)
    class_report_error: str = ""  # why the class report could not be written (the grades are)
    finals: dict[str, float] = field(default_factory=dict)  # student -> final score (the course policy)
    notes: list = field(default_factory=list)  # Msg: what the instructor should know (e.g. adjustments' typos)


# Set by the CLI's SIGTERM/SIGINT handler. The handler also raises KeyboardInterrupt, but code deep
# inside a check may swallow that one; the batch loops look at this flag between submissions too.
STOP = threading.Event()


def _check_stop() -> None:
    if STOP.is_set():
        raise KeyboardInterrupt


def run_local(
    targets: list[Target],
    options: Options,
    workers: int,
    on_done: Callable[[SubmissionResult], None],
    say: Callable[[Msg], None] = lambda said: None,
) -> None:
    serial = workers <= 1 or len(targets) <= 1
    if serial and options.capstone_budget == budget_share.MEASURING:
        options, said = capstone_budget.measured_options(options)  # no pool to measure beside: now
        if said is not None:
            say(said)
    if serial:
        for target in targets:  # in this process: student code runs in sandboxes anyway
            _check_stop()
            try:
                record = grade_submission(target, options)
            except Exception as exc:  # noqa: BLE001
                record = grader_error_record(target, options, exc)
            on_done(record)
            _check_stop()
        return
    pending = list(targets)
    context = pool_context()
    # The capstone's budget, measured by the pool's first task while the others grade (capstone_budget).
    shared = context.Value("d", 0.0)
    measure = options.capstone_budget == budget_share.MEASURING
    for round_ in range(POOL_ROUNDS):
        broken: list[Target] = []
        # pool_context: forked from a preloaded server, nothing inherited from this one's threads;
        # die_with: pool processes go when the grader goes, even killed with SIGKILL (their
        # sandboxes follow)
        with ProcessPoolExecutor(
            max_workers=min(workers, len(pending)),
            initializer=_pool_process,
            initargs=(shared, os.getpid()),
            mp_context=context,
        ) as pool:
            measuring = pool.submit(capstone_budget.measure_shared, options) if measure else None
            futures: dict[Future, Target] = {pool.submit(grade_submission, t, options): t for t in pending}
            try:
                for future in as_completed([*futures, measuring] if measuring else futures):
                    if future is measuring:
                        measure = not _measured(future, shared, options, say)
                        continue
                    target = futures[future]
                    try:
                        record = future.result()
                    except BrokenProcessPool as exc:
                        if round_ + 1 < POOL_ROUNDS:
                            broken.append(target)
                            continue
                        record = grader_error_record(target, options, exc)
                    except Exception as exc:  # noqa: BLE001
                        record = grader_error_record(target, options, exc)
                    on_done(record)
                    _check_stop()
            except KeyboardInterrupt:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        if not broken:
            return
        pending = broken


def _pool_process(shared, grader: int) -> None:
    """Each pool process: it goes with the grader (its parent is the fork server: die_with); the capstone's
    measured budget is in `shared`."""
    start_pool_process(grader)
    budget_share.share(shared)


def _measured(future, shared, options: Options, say: Callable[[Msg], None]) -> bool:
    """The measuring task's end: what it says, said; the default budget shared if it failed outright (a
    broken pool is measured again in the next round). Whether it is done."""
    try:
        _, said = future.result()
    except BrokenProcessPool:
        return False
    except Exception as exc:  # noqa: BLE001 - the grading goes on under the default budget
        shared.value = options.budget_default()
        said = capstone_budget.not_timed(exc, shared.value)
    if said is not None:
        say(said)
    return True


def files_digest(target: Target) -> str:
    """The files-only fingerprint: whether a kept record's other exercises still describe these files."""
    return submission_files.fingerprint(target.folder, target.problem, {}, __version__)


def merged(record: SubmissionResult, kept: SubmissionResult | None, options: Options) -> SubmissionResult:
    """`record` (this run's exercises) with the kept record's other exercises (same files)."""
    if kept is None or record.status is Status.ERROR:
        return record
    mine = set(options.exercises)
    checks = [c for c in kept.checks if c.exercise not in mine] + record.checks
    order = [e.id for e in registry.EXERCISES if e.id in {c.exercise for c in checks}]
    record.exercises = by_exercise(checks, order)
    return record


def _scan(targets, options, out: Path, force: bool, result: BatchResult, done: dict, progress):
    """(targets to grade, student -> kept record whose other exercises stay, student -> files digest)."""
    todo, partial, digests = [], {}, {}
    for target in targets:
        path = reports.student_folder(out, target.student) / "results.json"
        kept = reports.record_from_results(path) if path.exists() else None
        digests[target.student] = files_digest(target)
        if not force and kept is not None and kept.fingerprint == fingerprint(target, options):
            if kept.status is not Status.ERROR:
                done[target.student] = kept
                result.reused += 1
                if progress:
                    progress.advance(
                        terminal(target.student), kept.score, kept.max_score, kept.status.value, reused=True
                    )
                continue
        if (
            kept is not None
            and kept.status is not Status.ERROR
            and reports.kept_files(path) == digests[target.student]
            and set(kept.exercises) - set(options.exercises)
        ):
            partial[target.student] = kept
        todo.append(target)
    return todo, partial, digests


def run_batch(
    targets: list[Target],
    options: Options,
    out: Path,
    workers: int = 1,
    dask: str | None = None,
    force: bool = False,
    lang: str = "both",
    progress=None,
    course=None,
    say: Callable[[Msg], None] = lambda said: None,
) -> BatchResult:
    """Grade what needs it; then every report of the whole class (every valid results.json in `out`,
    the roster's absent students) under the course policy (`course`: blitz/grading/gradebook.Course)."""
    from blitz.grading import gradebook

    course = course or gradebook.Course()
    out.mkdir(parents=True, exist_ok=True)
    done: dict[str, SubmissionResult] = {}
    result = BatchResult(records=[])
    todo, partial, digests = _scan(targets, options, out, force, result, done, progress)

    def on_done(record: SubmissionResult) -> None:
        record = merged(record, partial.get(record.student), options)
        record.folder = course.origin.get(record.student, record.folder)
        reports.write_results(out, record, lang, course.applied(record), digests.get(record.student, ""))
        done[record.student] = record
        result.graded += 1
        if record.status is Status.ERROR:
            result.grader_errors.append(f"{record.student}: {record.notes}")
        if progress:
            progress.advance(terminal(record.student), record.score, record.max_score, record.status.value)

    try:
        if todo:
            if dask:
                from blitz.grading.dask_backend import run_on_dask

                run_on_dask(dask, todo, options, on_done)
            else:
                run_local(todo, options, workers, on_done, say)
    finally:
        if progress:
            progress.close()
        # Whatever was finished is reported, also when the batch was stopped; the whole class always.
        left_out: list[str] = []
        result.records = gradebook.whole_class(
            out, [done[t.student] for t in targets if t.student in done], course, options, left_out
        )
        applied = gradebook.write_all(out, result.records, course, lang, digests)
        if not course.policy.empty:
            result.finals = {s: a.final for s, a in applied.items()}
        result.notes = gradebook.unknown_adjustments(course, result.records)
        if left_out:
            result.notes.append(gradebook.left_out_note(out, sorted(left_out)))
        _write_class_report(result, out, lang)
    return result


def _write_class_report(result: BatchResult, out: Path, lang: str) -> None:
    """The class report of every finished record, kept ones included; a failure to draw it is said,
    never a reason to lose the grades written before it."""
    from blitz.grading.class_report import write_class_report

    try:
        result.class_report = write_class_report(result.records, out, lang)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken matplotlib: the grades stand
        result.class_report_error = f"{type(exc).__name__}: {exc}"
