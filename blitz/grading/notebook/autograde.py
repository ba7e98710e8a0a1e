"""`blitz course-autograde DIR ASSIGNMENT`: nbgrader's autograde, every kernel sandboxed, scores from the kit.

1. ``nbgrader autograde --force`` runs with the ``blitz-sandbox`` kernel (:mod:`.kernel`): each
   student's kernel starts in bubblewrap (uid 65534, no network, its own pid/IPC/mount namespaces,
   a cgroup) and sees a copy of that student's folder, the kit's package and the data, never the
   gradebook, the other students, the course's source/ and release/, or the kit's solutions. Jupyter
   talks to it over unix sockets (the ``ipc`` transport). The kernelspec is written for this run
   only, and shadows ``python3`` too, so no kernel of this run starts outside the sandbox.
2. Students whose kernel died are repaired (:mod:`.repair`) and graded again.
3. Each student's code cells are graded by the kit (:mod:`.kitscore`), in `blitz grade`'s sandbox,
   on the test cells' seeds; the scores go into the gradebook as the test cells' auto scores, the
   verdicts into the autograded notebooks' test cells. The kernels' own output decides nothing.
4. A score table read back from the gradebook, and the kit's records of the class
   (:func:`autograde_course` returns them; ``blitz-records-<assignment>.json`` in the course folder
   holds them as JSON, each as `blitz grade` keeps it in results.json), from which the class report
   is written as `blitz grade` writes it (:mod:`blitz.grading.class_report`), into
   ``blitz-reports/<assignment>/class_report/``.

Before nbgrader runs, each ``submitted/<student>/`` and its ``<assignment>/`` tree are looked at with
lstat (:func:`.refuse.unsafe_submissions`): a student whose folder is a link, or holds a link, FIFO, device or
socket, is refused, named with those entries in the score table and the kit's records (0 points), and
left out of nbgrader's run (``--CourseDirectory.student_id_exclude``): nbgrader, which copies
``submitted/`` following links, never reads a byte of it.

Who is graded, and where (:mod:`.classrun`): a student whose submitted files, the kit's version and
the options are those of their last autograde is not regraded (their record is kept) unless
``--force``; ``--student ID`` grades those named only. nbgrader runs once for those being graded; the
nbgrader's kernels run in ``--workers`` processes too (one ``nbgrader autograde --student`` each,
:mod:`.nbparallel`), the kit's scores in ``--workers`` processes (default: the physical cores) or on
``--dask ADDRESS``,
and are written into the gradebook one student after another, each with nbgrader's late penalty
(the course's LateSubmissionPlugin) computed again on them.

Exit status: 0 when every student was graded (whatever the scores), 1 when the grader itself failed
for someone, 2 for a folder that is not a course or has nothing submitted.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from blitz.course.i18n import Msg, tr
from blitz.engine.results import Status, SubmissionResult
from blitz.grading.notebook.refuse import FILE_BYTES, unsafe_submissions

DEFAULT_TIMEOUT = 180
FAILED = re.compile(r"There was an error processing assignment '[^']*' for student '([^']+)'")


@dataclass
class CourseRun:
    """What one course-autograde did: per student a state, and the kit's record."""

    status: dict[str, str] = field(default_factory=dict)
    records: dict[str, SubmissionResult] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # not regraded: their records from the last run
    left_out: list[str] = field(default_factory=list)  # graded before, no longer in submitted/


@dataclass
class Choice:
    """Who is graded, and how: --student, --force, --workers, --dask (and the fingerprints seen)."""

    students: tuple[str, ...] = ()
    force: bool = False
    workers: int = 1
    dask: str | None = None
    prints: dict[str, str] = field(default_factory=dict)


def configured_timeout(root: Path) -> int:
    match = re.search(
        r"^c\.Execute\.timeout\s*=\s*(\d+)", (root / "nbgrader_config.py").read_text(encoding="utf-8"), re.M
    )
    return int(match.group(1)) if match else DEFAULT_TIMEOUT


@contextmanager
def sandboxed_kernels(root: Path):
    """This run's kernelspec, runtime and scratch folders (root's, private), in os.environ for the
    repair's kernels and in the environment of nbgrader's; the nbgrader options that use them.
    Everything is removed afterwards, the cgroups of launchers that Jupyter killed included."""
    from blitz.execution.sandbox.cgroups import sweep_stale
    from blitz.execution.sandbox.isolated import remove_tree
    from blitz.grading.notebook import kernel

    run = Path(tempfile.mkdtemp(prefix="blitz-course-"))
    kernel.kernelspec(run)
    spec = (run / "kernels" / kernel.KERNEL_NAME / "kernel.json").read_text(encoding="utf-8")
    (run / "kernels" / "python3").mkdir()
    (run / "kernels" / "python3" / "kernel.json").write_text(spec, encoding="utf-8")
    (run / "runtime").mkdir(mode=0o700)
    (run / "scratch").mkdir()
    os.chmod(run / "scratch", 0o711)
    env = {
        "JUPYTER_PATH": os.pathsep.join(filter(None, [str(run), os.environ.get("JUPYTER_PATH", "")])),
        "JUPYTER_RUNTIME_DIR": str(run / "runtime"),
        kernel.SCRATCH_ENV: str(run / "scratch"),
        kernel.HIDE_ENV: str(root),
    }
    ip = str(run / "runtime" / "kernel")
    options = [
        f"--Execute.kernel_name={kernel.KERNEL_NAME}",
        "--KernelManager.transport=ipc",
        f"--KernelManager.ip={ip}",
    ]
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield options, ip, run
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        remove_tree(run)
        sweep_stale()


def _nbgrader(root: Path, assignment: str, options: list[str], student: str | None = None):
    from blitz.grading.notebook.nbparallel import nbgrader

    return nbgrader(root, assignment, options, student)


def _log(root: Path, assignment: str, result, mode: str = "a") -> None:
    with open(root / f"autograde-{assignment}.log", mode, encoding="utf-8") as out:
        out.write(result.stdout + result.stderr)


def _run_nbgrader(
    root: Path, assignment: str, options: list[str], ip: str, skip: set[str], workers: int = 1
) -> dict[str, str]:
    """nbgrader autograde for everyone but the refused and `skip` (one process per student, `workers`
    at a time, when workers > 1: :mod:`.nbparallel`), then the repair of those whose kernel died."""
    from traitlets.config import Config

    from blitz.grading.notebook.repair import repair

    refused = unsafe_submissions(root, assignment)
    submitted = sorted(
        p.name
        for p in (root / "submitted").iterdir()
        if p.name not in refused and p.name not in skip and (p / assignment).is_dir()
    )
    left_out = sorted(set(refused) | (skip & {p.name for p in (root / "submitted").iterdir()}))
    if not submitted:
        result = subprocess.CompletedProcess([], 0, "", "")
    elif workers > 1 and len(submitted) > 1:
        from blitz.grading.notebook.nbparallel import autograde_each

        result = autograde_each(root, assignment, options, ip, submitted, workers)
    elif any("," in s for s in left_out) or len(submitted) == 1:  # the exclusion list is comma-separated
        runs = [_nbgrader(root, assignment, options, s) for s in submitted]
        result = subprocess.CompletedProcess([], 0, "".join(r.stdout for r in runs), "".join(r.stderr for r in runs))
    else:
        excluded = ["--CourseDirectory.student_id_exclude=" + ",".join(left_out)] if left_out else []
        result = _nbgrader(root, assignment, [*options, *excluded])
    _log(root, assignment, result, "w")
    failed = set(FAILED.findall(result.stdout + result.stderr))
    failed |= {s for s in submitted if not (root / "autograded" / s / assignment).is_dir()}
    status = {s: "graded" for s in submitted if s not in failed}
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = ip
    for student in sorted(failed & set(submitted)):
        print(
            tr(
                "{student}: nbgrader could not grade this student; looking for the cell that stopped the kernel...",
                student=student,
            ).render()
        )
        reason = repair(root, assignment, student, configured_timeout(root), config)
        if reason is None:
            again = _nbgrader(root, assignment, options, student)
            _log(root, assignment, again)
            if (root / "autograded" / student / assignment).is_dir():
                status[student] = "repaired"
                continue
            reason = "nbgrader autograde failed again"
        status[student] = f"notebook not run: {reason}"
    status.update({s: f"refused: {why}" for s, why in refused.items() if s not in skip})
    return status


def _refused_records(root: Path, assignment: str, status: dict[str, str]) -> dict[str, SubmissionResult]:
    """A record at 0 points for each refused student, naming what was refused (nothing of it read)."""
    from blitz.grading.discover import Target
    from blitz.grading.notebook.kitscore import options_for
    from blitz.grading.runner import zero_record

    records = {}
    for student, state in status.items():
        if state.startswith("refused: "):
            why = state.removeprefix("refused: ")
            message = tr(
                "not graded: {why} (plain files only, each at most {mib} MiB, no link followed).",
                why=why,
                mib=FILE_BYTES >> 20,
            )
            target = Target(student, str(root / "submitted" / student), "unsafe", (why, why))
            records[student] = zero_record(
                target, options_for(assignment, configured_timeout(root), ()), message, Status.REFUSED
            )
    return records


def _to_skip(root: Path, assignment: str, choice: Choice, previous, prints) -> set[str]:
    """The students this run leaves as they are: not named by --student, or unchanged (not --force)."""
    everyone = {p.name for p in (root / "submitted").iterdir()}
    skip = {s for s in everyone if choice.students and s not in choice.students}
    if choice.force:
        return skip
    for student in everyone - skip:
        if student in previous and prints.get(student) == choice.prints.get(student):
            if (root / "autograded" / student / assignment).is_dir():
                skip.add(student)
    return skip


def autograde_course(root: Path, assignment: str, choice: Choice | None = None) -> CourseRun:
    """Autograde the class (see the module docstring); returns each student's state and kit record."""
    from blitz.grading.notebook import classrun
    from blitz.grading.notebook.repair import feedback_note

    choice = choice or Choice()
    run = CourseRun()
    previous, prints = classrun.load_previous(root, assignment)
    refused = unsafe_submissions(root, assignment)
    options = {"timeout": configured_timeout(root), "config": (root / "nbgrader_config.py").read_text("utf-8")}
    for entry in (root / "submitted").iterdir():
        if entry.name not in refused and (entry / assignment).is_dir() and not entry.is_symlink():
            choice.prints[entry.name] = classrun.fingerprint(root, assignment, entry.name, options)
    skip = _to_skip(root, assignment, choice, previous, prints)
    with sandboxed_kernels(root) as (nb_options, ip, folder):
        run.status = _run_nbgrader(root, assignment, nb_options, ip, skip, choice.workers)
        graded = sorted(s for s, state in run.status.items() if not state.startswith("refused: "))
        run.records = classrun.kit_scores(
            root, assignment, folder, graded, configured_timeout(root), choice.workers, choice.dask
        )
    run.records.update(_refused_records(root, assignment, run.status))
    for student, state in run.status.items():
        record = run.records[student]
        if record.status is Status.ERROR:
            run.status[student] = f"grader error: {record.notes}"[:300]
        elif state.startswith("notebook not run"):
            score = f"{record.score:g} / {record.max_score:g}"
            feedback_note(root, assignment, student, state.split(": ", 1)[-1], score)
    run.kept = sorted(s for s in skip if s in previous and s not in run.records)
    classrun.late_penalties(root, assignment, [s for s in run.kept if s in choice.prints])
    for student in run.kept:
        run.records[student] = previous[student]
        if student in prints:
            choice.prints.setdefault(student, prints[student])
    fresh = {s: p for s, p in choice.prints.items() if s in run.records and run.records[s].status is not Status.ERROR}
    gone = classrun.left_out(root, assignment, previous)
    run.left_out = sorted(s for s in gone if s in previous)  # left since the last run: said once
    classrun.save(root, assignment, run.records, fresh, gone)
    return run


def _refuse(text: Msg) -> int:
    print(text.render(), file=sys.stderr)
    return 2


def _course_autograde(args: argparse.Namespace) -> int:
    from blitz.course.cores import physical_cores
    from blitz.execution.sandbox.process import INSTALL, isolation_available

    root = Path(args.dir).resolve()
    if not (root / "nbgrader_config.py").is_file():
        return _refuse(
            tr(
                "{root} is not a course directory (no nbgrader_config.py); run `blitz course {args_dir}` first.",
                root=root,
                args_dir=args.dir,
            )
        )
    if not (root / "submitted").is_dir():
        return _refuse(tr("Nothing submitted yet (no submitted/); run nbgrader collect first."))
    available = isolation_available()
    if not available["bwrap"]:
        why = available["why"]
        return _refuse(
            tr(
                "Cannot put the students' kernels in a sandbox ({why}): {install_1}.",
                why=why,
                install_1=INSTALL[1],
                install_0=INSTALL[0],
            )
        )

    def stop(signum, frame):  # a stopped run still removes its sandboxes' folders (and stops nbgrader)
        raise KeyboardInterrupt

    if args.workers is not None and args.workers < 1:
        return _refuse(tr("--workers must be at least 1."))
    missing = [s for s in args.student if not (root / "submitted" / s).is_dir()]
    if missing:
        names = ", ".join(missing)
        return _refuse(tr("No such student in submitted/: {names}", names=names))
    signal.signal(signal.SIGTERM, stop)
    choice = Choice(tuple(args.student), args.force, args.workers or physical_cores(), args.dask)
    run = autograde_course(root, args.assignment, choice)
    from blitz.grading.notebook.table import class_report, score_table

    for student, state in run.status.items():
        print(f"{student:<20} {state}")
    if run.kept:
        print(
            tr(
                "{len_run_kept} student(s) unchanged since the last autograde, not regraded (--force regrades them).",
                len_run_kept=len(run.kept),
            ).render()
        )
        run.status.update({s: "unchanged, not regraded" for s in run.kept})
    if run.left_out:
        names = ", ".join(run.left_out)
        print(
            tr(
                "{names}: no longer in submitted/, so left out of the records and the class report (kept under left_out).",
                names=names,
                join_run_left_out="、".join(run.left_out),
            ).render()
        )
    if (root / "gradebook.db").is_file():
        print()
        print(tr("Scores (nbgrader's gradebook, scored by the kit's checks):").render())
        print(score_table(root, run.status))
    class_report(root, args.assignment, list(run.records.values()))
    return 1 if any(r.status is Status.ERROR for r in run.records.values()) else 0


EPILOG = """examples / 例子:
  blitz course-autograde . tensors                     # everyone changed since the last run, on every core
  blitz course-autograde . tensors --student alice     # alice only (the others' grades stay)
  blitz course-autograde . tensors --force --workers 4 # everyone again, 4 students at once
  blitz course-autograde . tensors --dask tcp://scheduler:8786   # the kit's scores on a Dask cluster

A student whose submitted files are unchanged since their last autograde (same files, kit version and
options) is not regraded. nbgrader's late penalty (the course's LateSubmissionPlugin) is applied to
the kit's scores, so `nbgrader export` shows the penalised score."""


def register(subparsers) -> None:
    grade = subparsers.add_parser(
        "course-autograde",
        help="instructors: nbgrader autograde, kernels sandboxed, scored by the kit / 教师：自动评分（沙箱）",
        description="nbgrader autograde with every student's kernel in a sandbox, scored by the kit's checks.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade.add_argument("dir", help="the course directory (holds nbgrader_config.py), e.g. .")
    grade.add_argument("assignment", help="assignment id, e.g. tensors")
    grade.add_argument(
        "--student",
        action="append",
        default=[],
        metavar="ID",
        help="grade this student only (repeatable), e.g. --student alice; the others keep their grades",
    )
    grade.add_argument(
        "--force", action="store_true", help="regrade even the students whose submission is unchanged, e.g. --force"
    )
    grade.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="students graded at once, in nbgrader and by the kit (default: the physical cores); e.g. --workers 4",
    )
    grade.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="score on a Dask cluster (scheduler address; shared paths as `blitz grade --dask`), "
        "e.g. --dask tcp://scheduler:8786",
    )
    grade.set_defaults(func=_course_autograde)
