"""`blitz course-autograde` for a whole class: who is regraded, the kit's scores in parallel, late penalties.

Incremental: each student's fingerprint (:func:`fingerprint`: every file of ``submitted/<student>/
<assignment>/``, by lstat and content, ``timestamp.txt`` included; the kit's version; the options
that change a score) is kept with the kit's records in ``blitz-records-<assignment>.json``. A student
whose fingerprint is the one of their last autograde, and whose autograded folder is still there, is
not regraded (their record is kept) unless ``--force``.

Parallel: the kit's scores of the students being regraded (:func:`kit_scores`) run in ``--workers``
spawned processes, or on a Dask cluster (``--dask ADDRESS``, as `blitz grade --dask`: the workers need
the kit, the course folder and the data at the same paths); each student's sandbox is made there.
The gradebook is written here, one student after another (sqlite has one writer).

Late penalties (:func:`late_penalties`): nbgrader computes its penalty during autograde, from the
kernel's scores, before the kit's scores are written. Once they are, nbgrader's own
``AssignLatePenalties`` (with the course's configured ``plugin_class`` and ``LateSubmissionPlugin``
options, read from ``nbgrader_config.py``) runs again on each regraded notebook, so ``nbgrader
export`` subtracts the penalty of the kit's score.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from blitz.course.i18n import tr
from blitz.engine.results import SubmissionResult

MAX_FILE_BYTES = 64 << 20  # a file of a submission read for its fingerprint
MAX_FILES = 10_000


def records_path(root: Path, assignment: str) -> Path:
    return root / f"blitz-records-{assignment}.json"


def fingerprint(root: Path, assignment: str, student: str, options: dict) -> str:
    """The hash of a student's submitted folder (names, kinds, contents; nothing followed), the kit's
    version and `options`: equal when nothing that decides the grade changed."""
    import blitz

    digest = hashlib.sha256(json.dumps([blitz.__version__, options], sort_keys=True).encode())
    base = root / "submitted" / student / assignment
    todo, seen = [base], 0
    while todo:
        folder = todo.pop()
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            seen += 1
            if seen > MAX_FILES:
                digest.update(b"too many files")
                return digest.hexdigest()
            rel = os.path.relpath(entry.path, base)
            if entry.is_dir(follow_symlinks=False):
                digest.update(f"d {rel}\0".encode())
                todo.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                digest.update(f"f {rel} {_file_hash(Path(entry.path))}\0".encode())
            else:
                digest.update(f"? {rel}\0".encode())
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        left = MAX_FILE_BYTES
        while left > 0:
            chunk = os.read(fd, min(1 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


def load_previous(root: Path, assignment: str) -> tuple[dict[str, SubmissionResult], dict[str, str]]:
    """The kit's records and fingerprints of the last autograde ({} when none or unreadable)."""
    path = records_path(root, assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        records = {r["student"]: SubmissionResult.from_json(r) for r in data.get("records", [])}
        prints = {str(k): str(v) for k, v in data.get("fingerprints", {}).items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}, {}
    return records, prints


def left_out(root: Path, assignment: str, previous: dict[str, SubmissionResult]) -> dict[str, SubmissionResult]:
    """The records of students no longer in submitted/ (this run's or an earlier one's "left_out"): kept
    in the records file under "left_out", reported nowhere."""
    try:
        data = json.loads(records_path(root, assignment).read_text(encoding="utf-8"))
        gone = {r["student"]: SubmissionResult.from_json(r) for r in data.get("left_out", [])}
    except (OSError, ValueError, KeyError, TypeError):
        gone = {}
    gone.update(previous)
    return {s: r for s, r in gone.items() if not os.path.lexists(root / "submitted" / s)}


def save(
    root: Path,
    assignment: str,
    records: dict[str, SubmissionResult],
    prints: dict[str, str],
    gone: dict[str, SubmissionResult] | None = None,
) -> None:
    gone = {s: r for s, r in (gone or {}).items() if s not in records}
    data = {
        "assignment": assignment,
        "records": [records[s].to_json() for s in sorted(records)],
        "fingerprints": {s: prints[s] for s in sorted(prints) if s in records},
        "left_out": [gone[s].to_json() for s in sorted(gone)],
    }
    path = records_path(root, assignment)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def grade_one(student: str, assignment: str, root: str, scratch: str, cell_timeout: float):
    """One student's kit grade (in a pool process or on a Dask worker)."""
    from blitz.grading.notebook.kitscore import grade_notebook

    name = f"{assignment}.ipynb"
    autograded = Path(root) / "autograded" / student / assignment / name
    submitted = Path(root) / "submitted" / student / assignment / name
    notebooks = [p for p in (autograded, submitted) if os.path.lexists(p)]
    return grade_notebook(student, assignment, notebooks, Path(scratch), cell_timeout, (root,))


def _pool_process(autograder: int) -> None:
    """Each pool process goes with course-autograde (its parent is the fork server: die_with); it writes
    notebooks with nbformat, without the IRI grammar (blitz.engine.imports.skip_iri_grammar: a second of
    CPU per process)."""
    from blitz.engine.imports import skip_iri_grammar
    from blitz.grading.pool import start_pool_process

    start_pool_process(autograder)
    skip_iri_grammar()


def _pool(jobs: list[tuple], workers: int, on_done: Callable) -> None:
    from blitz.grading.pool import pool_context

    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            try:
                on_done(job[0], grade_one(*job), None)
            except Exception as exc:  # noqa: BLE001 - one student's failure stops no one else
                on_done(job[0], None, exc)
        return
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        initializer=_pool_process,
        initargs=(os.getpid(),),
        mp_context=pool_context(),
    ) as pool:
        futures = {pool.submit(grade_one, *job): job[0] for job in jobs}
        for future in as_completed(futures):
            try:
                on_done(futures[future], future.result(), None)
            except Exception as exc:  # noqa: BLE001
                on_done(futures[future], None, exc)


def _dask(address: str, jobs: list[tuple], on_done: Callable) -> None:
    import uuid

    from distributed import as_completed as done

    from blitz.grading.dask_backend import connect

    client = connect(address)
    try:
        batch = uuid.uuid4().hex[:8]
        futures = {
            client.submit(grade_one, *job, pure=False, key=f"blitz-nbgrade-{batch}-{i}"): job[0]
            for i, job in enumerate(jobs)
        }
        for future in done(futures):
            try:
                on_done(futures[future], future.result(), None)
            except Exception as exc:  # noqa: BLE001 - a lost worker must not lose the class
                on_done(futures[future], None, exc)
    finally:
        client.close()


def kit_scores(
    root: Path,
    assignment: str,
    run_folder: Path,
    students: list[str],
    timeout: float,
    workers: int = 1,
    dask: str | None = None,
) -> dict[str, SubmissionResult]:
    """The kit's grade of each student (in `workers` processes or on Dask), written into the gradebook
    here, one after another, with the late penalty of each; the records."""
    from blitz.grading.discover import Target
    from blitz.grading.notebook.kitscore import NotebookGrade, options_for, write_outputs, write_scores
    from blitz.grading.runner import grader_error_record

    db_url = f"sqlite:///{root / 'gradebook.db'}"
    records: dict[str, SubmissionResult] = {}
    jobs = []
    for number, student in enumerate(students):
        scratch = run_folder / f"kit-{number}"
        scratch.mkdir()
        jobs.append((student, assignment, str(root), str(scratch), timeout))
    scratches = {job[0]: job[3] for job in jobs}

    def done(student: str, grade, exc) -> None:
        try:
            if exc is not None:
                raise exc
            write_scores(db_url, assignment, grade)
            autograded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            if autograded.is_file():
                write_outputs(autograded, assignment, grade)
            records[student] = grade.record
        except Exception as error:  # noqa: BLE001 - the grader's own failure for one student
            record = grader_error_record(
                Target(student, scratches[student]), options_for(assignment, timeout, ()), error
            )
            try:  # the kernel's scores are 0 already; say so in the gradebook whatever happened
                write_scores(db_url, assignment, NotebookGrade(student, {}, record))
            except Exception:  # noqa: BLE001
                pass
            records[student] = record

    if dask:
        _dask(dask, jobs, done)
    else:
        _pool(jobs, workers, done)
    late_penalties(root, assignment, sorted(records))
    return records


def late_penalties(root: Path, assignment: str, students: list[str]) -> dict[str, float]:
    """nbgrader's late penalty of each student's notebook, computed again on the kit's scores by
    nbgrader's AssignLatePenalties with the course's configuration; {student: penalty} where one applies."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config.loader import PyFileConfigLoader

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    except Exception as exc:  # noqa: BLE001 - the grades stand; the penalty is nbgrader's to say
        print(tr("Could not read nbgrader_config.py ({exc}); no late penalty was computed.", exc=exc).render())
        return {}
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    penalties = {}
    for student in students:
        resources = {
            "nbgrader": {"notebook": assignment, "assignment": assignment, "student": student, "db_url": db_url}
        }
        try:
            AssignLatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources)
        except MissingEntry:
            continue
        with Gradebook(db_url) as gb:
            try:
                penalty = gb.find_submission_notebook(assignment, assignment, student).late_submission_penalty
            except MissingEntry:
                continue
        if penalty:
            penalties[student] = float(penalty)
    return penalties
