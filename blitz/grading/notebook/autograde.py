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
lstat (:func:`unsafe_submissions`): a student whose folder is a link, or holds a link, FIFO, device or
socket, is refused, named with those entries in the score table and the kit's records (0 points), and
left out of nbgrader's run (``--CourseDirectory.student_id_exclude``): nbgrader, which copies
``submitted/`` following links, never reads a byte of it.

Exit status: 0 when every student was graded (whatever the scores), 1 when the grader itself failed
for someone, 2 for a folder that is not a course or has nothing submitted.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from blitz.course.i18n import Msg
from blitz.engine.results import Status, SubmissionResult

DEFAULT_TIMEOUT = 180
MAX_ENTRIES = 10_000  # entries of one student's assignment folder looked at before it is refused
FAILED = re.compile(r"There was an error processing assignment '[^']*' for student '([^']+)'")


@dataclass
class CourseRun:
    """What one course-autograde did: per student a state, and the kit's record."""

    status: dict[str, str] = field(default_factory=dict)
    records: dict[str, SubmissionResult] = field(default_factory=dict)


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
    from blitz.authoring.nbgrader import nbgrader_bin, nbgrader_env

    argv = [nbgrader_bin(), "autograde", assignment, "--force", *options]
    if student:
        argv.append(f"--student={glob.escape(student)}")  # a pattern to nbgrader: this folder's name only
    env = nbgrader_env()  # os.environ (with this run's kernel folders) and the venv's bin first
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)


def _log(root: Path, assignment: str, result, mode: str = "a") -> None:
    with open(root / f"autograde-{assignment}.log", mode, encoding="utf-8") as out:
        out.write(result.stdout + result.stderr)


def _bad_entries(folder: Path) -> list[str]:
    """Entries of `folder`'s tree (by lstat, no link followed) that are neither folders nor regular files."""
    from blitz.execution.files import kind_of_entry

    bad: list[str] = []
    seen, todo = 0, [folder]
    while todo:
        current = todo.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            return [f"{current.relative_to(folder.parent)} ({exc.strerror})"]
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                return bad + [f"more than {MAX_ENTRIES} entries"]
            mode = entry.stat(follow_symlinks=False).st_mode
            kind = kind_of_entry(mode)
            if kind is None:
                continue
            if kind[1] == "a folder":
                todo.append(Path(entry.path))
            else:
                bad.append(f"{Path(entry.path).relative_to(folder.parent)} ({kind[1]})")
    return bad


def unsafe_submissions(root: Path, assignment: str) -> dict[str, str]:
    """Each student of ``submitted/`` whose folder for `assignment` nbgrader must not copy, with the
    entries that make it so (links, FIFOs, devices, sockets; by lstat: nothing is followed or opened)."""
    from blitz.grading.names import terminal

    refused = {}
    with os.scandir(root / "submitted") as it:
        students = sorted(it, key=lambda e: e.name)
    for entry in students:
        folder = Path(entry.path)
        if entry.is_symlink():
            refused[entry.name] = f"submitted/{terminal(entry.name)} is a symlink"
            continue
        if not entry.is_dir(follow_symlinks=False) or not os.path.lexists(folder / assignment):
            continue
        if os.path.islink(folder / assignment) or not (folder / assignment).is_dir():
            refused[entry.name] = f"submitted/{terminal(entry.name)}/{assignment} is not a plain folder"
            continue
        bad = _bad_entries(folder / assignment)
        if bad or "," in entry.name:  # nbgrader's exclusion list is comma-separated
            refused[entry.name] = "; ".join(terminal(b) for b in bad) or "a comma in the folder's name"
    return refused


def _run_nbgrader(root: Path, assignment: str, options: list[str], ip: str) -> dict[str, str]:
    """nbgrader autograde for everyone but the refused, then the repair of those whose kernel died."""
    from traitlets.config import Config

    from blitz.grading.notebook.repair import repair

    refused = unsafe_submissions(root, assignment)
    submitted = sorted(
        p.name for p in (root / "submitted").iterdir() if p.name not in refused and (p / assignment).is_dir()
    )
    if any("," in s for s in refused):  # nbgrader's exclusion list cannot name it: one run per student
        runs = [_nbgrader(root, assignment, options, s) for s in submitted]
        result = subprocess.CompletedProcess([], 0, "".join(r.stdout for r in runs), "".join(r.stderr for r in runs))
    else:
        excluded = ["--CourseDirectory.student_id_exclude=" + ",".join(sorted(refused))] if refused else []
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
            Msg(
                f"{student}：nbgrader 没能评分，查找让内核退出的单元格……",
                f"{student}: nbgrader could not grade this student; looking for the cell that stopped the kernel...",
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
    status.update({s: f"refused: {why}" for s, why in refused.items()})
    return status


def _kit_scores(root: Path, assignment: str, run_folder: Path, students: list[str]) -> dict[str, SubmissionResult]:
    from blitz.grading.discover import Target
    from blitz.grading.notebook.kitscore import NotebookGrade, grade_notebook, options_for, write_outputs, write_scores
    from blitz.grading.runner import grader_error_record

    records = {}
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    for number, student in enumerate(students):
        name = f"{assignment}.ipynb"
        autograded = root / "autograded" / student / assignment / name
        submitted = root / "submitted" / student / assignment / name
        notebooks = [p for p in (autograded, submitted) if os.path.lexists(p)]
        scratch = run_folder / f"kit-{number}"
        scratch.mkdir()
        try:
            grade = grade_notebook(student, assignment, notebooks, scratch, configured_timeout(root), (str(root),))
            write_scores(db_url, assignment, grade)
            if autograded.is_file():
                write_outputs(autograded, assignment, grade)
            records[student] = grade.record
        except Exception as exc:  # noqa: BLE001 - the grader's own failure for one student stops no one else
            options = options_for(assignment, configured_timeout(root), ())
            record = grader_error_record(Target(student, str(scratch)), options, exc)
            try:  # the kernel's scores are 0 already; say so in the gradebook whatever happened
                write_scores(db_url, assignment, NotebookGrade(student, {}, record))
            except Exception:  # noqa: BLE001
                pass
            records[student] = record
    return records


def _refused_records(root: Path, assignment: str, status: dict[str, str]) -> dict[str, SubmissionResult]:
    """A record at 0 points for each refused student, naming what was refused (nothing of it read)."""
    from blitz.grading.discover import Target
    from blitz.grading.notebook.kitscore import options_for
    from blitz.grading.runner import zero_record

    records = {}
    for student, state in status.items():
        if state.startswith("refused: "):
            why = state.removeprefix("refused: ")
            message = Msg(
                f"未评分：{why}（评分程序只读普通文件，不跟随链接）。",
                f"not graded: {why} (plain files only, no link followed).",
            )
            target = Target(student, str(root / "submitted" / student), "unsafe", (why, why))
            records[student] = zero_record(
                target, options_for(assignment, configured_timeout(root), ()), message, Status.REFUSED
            )
    return records


def autograde_course(root: Path, assignment: str) -> CourseRun:
    """Autograde everyone (see the module docstring); returns each student's state and kit record."""
    from blitz.grading.notebook.repair import feedback_note

    run = CourseRun()
    with sandboxed_kernels(root) as (options, ip, folder):
        run.status = _run_nbgrader(root, assignment, options, ip)
        graded = sorted(s for s, state in run.status.items() if not state.startswith("refused: "))
        run.records = _kit_scores(root, assignment, folder, graded)
    run.records.update(_refused_records(root, assignment, run.status))
    for student, state in run.status.items():
        record = run.records[student]
        if record.status is Status.ERROR:
            run.status[student] = f"grader error: {record.notes}"[:300]
        elif state.startswith("notebook not run"):
            score = f"{record.score:g} / {record.max_score:g}"
            feedback_note(root, assignment, student, state.split(": ", 1)[-1], score)
    records = [run.records[s].to_json() for s in sorted(run.records)]
    text = json.dumps({"assignment": assignment, "records": records}, ensure_ascii=False, indent=1)
    (root / f"blitz-records-{assignment}.json").write_text(text + "\n", encoding="utf-8")
    return run


def score_table(root: Path, status: dict[str, str]) -> str:
    """Every student in the course's gradebook: each assignment's score, the total and the maximum,
    and what this run did for them (read back from nbgrader's database, as `nbgrader export` does)."""
    from nbgrader.api import Gradebook, MissingEntry

    from blitz.course import registry
    from blitz.course.text import display_width, pad, terminal

    order = {e.id: i for i, e in enumerate(registry.EXERCISES)}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assignments = sorted(gb.assignments, key=lambda a: (order.get(a.name, len(order)), a.name))
        names = [a.name for a in assignments]
        maximum = sum(a.max_score for a in assignments)
        rows = []
        for student in sorted(gb.students, key=lambda s: s.id):
            cells = []
            for a in assignments:
                try:
                    cells.append(gb.find_submission(a.name, student.id).score)
                except MissingEntry:
                    cells.append(None)
            rows.append((student.id, cells))
    width = max([7] + [display_width(terminal(sid)[:24]) for sid, _ in rows])
    head = f"{pad('student', width)} " + " ".join(f"{n[:9]:>9}" for n in names)
    head += f" {'total / max':>17}"
    lines = [head, "-" * len(head)]
    for student, cells in rows:
        scores = " ".join(f"{c:>9.2f}" if c is not None else f"{'-':>9}" for c in cells)
        total = sum(c for c in cells if c is not None)
        state = status.get(student, "")
        lines.append(
            f"{pad(terminal(student)[:24], width)} {scores} {total:>8.2f} / {maximum:<6.2f} {terminal(state)}".rstrip()
        )
    return "\n".join(lines)


def _class_report(root: Path, assignment: str, records: list[SubmissionResult]) -> None:
    """The class report of the kit's records, as `blitz grade` writes it; never a reason to fail the run."""
    from blitz.course.i18n import chosen_lang
    from blitz.grading.class_report import FOLDER, summary_text, write_class_report
    from blitz.grading.names import terminal

    if not records:
        return
    lang = chosen_lang()
    out = root / "blitz-reports" / assignment
    print()
    print(summary_text(records, lang))
    try:
        written = write_class_report(records, out, lang)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken matplotlib: the grades stand
        why = terminal(f"{type(exc).__name__}: {exc}")
        print(
            Msg(
                f"班级报告没能写出（{why}），成绩不受影响。",
                f"The class report could not be written ({why}); the grades stand.",
            ).render()
        )
        return
    names = ", ".join(written)
    print(Msg(f"班级报告：{out / FOLDER}/（{names}）", f"class report: {out / FOLDER}/ ({names})").render())


def _refuse(text: Msg) -> int:
    print(text.render(), file=sys.stderr)
    return 2


def _course_autograde(args: argparse.Namespace) -> int:
    from blitz.execution.sandbox.process import INSTALL, isolation_available

    root = Path(args.dir).resolve()
    if not (root / "nbgrader_config.py").is_file():
        return _refuse(
            Msg(
                f"{root} 不是课程目录（没有 nbgrader_config.py）；先运行 `blitz course {args.dir}`。",
                f"{root} is not a course directory (no nbgrader_config.py); run `blitz course {args.dir}` first.",
            )
        )
    if not (root / "submitted").is_dir():
        return _refuse(
            Msg(
                "还没有提交（submitted/ 不存在）；先运行 nbgrader collect。",
                "Nothing submitted yet (no submitted/); run nbgrader collect first.",
            )
        )
    available = isolation_available()
    if not available["bwrap"]:
        why = available["why"]
        return _refuse(
            Msg(
                f"无法把学生的内核放进沙箱（{why}）：{INSTALL[0]}。",
                f"Cannot put the students' kernels in a sandbox ({why}): {INSTALL[1]}.",
            )
        )

    def stop(signum, frame):  # a stopped run still removes its sandboxes' folders (and stops nbgrader)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    run = autograde_course(root, args.assignment)
    for student, state in run.status.items():
        print(f"{student:<20} {state}")
    if (root / "gradebook.db").is_file():
        print()
        print(
            Msg(
                "成绩（nbgrader 成绩簿，由评分程序的检查给分）：",
                "Scores (nbgrader's gradebook, scored by the kit's checks):",
            ).render()
        )
        print(score_table(root, run.status))
    _class_report(root, args.assignment, list(run.records.values()))
    return 1 if any(r.status is Status.ERROR for r in run.records.values()) else 0


def register(subparsers) -> None:
    grade = subparsers.add_parser(
        "course-autograde",
        help="instructors: nbgrader autograde, kernels sandboxed, scored by the kit / 教师：自动评分（沙箱）",
    )
    grade.add_argument("dir", help="the course directory")
    grade.add_argument("assignment", help="assignment id, e.g. tensors")
    grade.set_defaults(func=_course_autograde)
