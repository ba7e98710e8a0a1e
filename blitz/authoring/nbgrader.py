"""Instructors: an nbgrader course made from the same notebooks, and autograding that survives bad submissions.

    blitz course DIR [--course-id blitz] [--timeout S]   # nbgrader_config.py + source/<id>/<id>.ipynb
    blitz course-autograde DIR ASSIGNMENT                # nbgrader autograde, then repair dead-kernel students

nbgrader gives up on a whole student when a cell kills the kernel (os._exit, a segfault) or ignores
the interrupt after a timeout: that student gets no autograded notebook, no feedback and 0 points.
`course-autograde` runs `nbgrader autograde` as usual, then for each student it could not grade it
runs the notebook once more cell by cell, finds the cell that stopped the kernel, replaces that cell
(only ever an answer cell) by a `raise RuntimeError(...)` that says what happened, and grades the
student again. The original notebook is kept in submitted_original/. So a bad cell costs only the
points of the checks that need it, and everyone gets feedback. A student whose *test* cell stops the
kernel (the student's function kills it while a check runs) cannot be repaired that way: they get a
feedback page saying so, and 0 points from nbgrader.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.course import mnist
from blitz.course.i18n import Msg, chosen_lang

if TYPE_CHECKING:
    import nbformat

# nbformat (and torch, through blitz.authoring.notebooks) are imported where they are used, so that every
# other `blitz` command starts fast. Without nbformat these commands are unavailable, as before.
if importlib.util.find_spec("nbformat") is None:
    raise ImportError("No module named 'nbformat'", name="nbformat")

DEFAULT_TIMEOUT = 180  # s per cell: the training checks take ~10 s on a 2-core CPU; room for a loaded machine
IOPUB_TIMEOUT = 15  # nbgrader's 4 s default after an interrupt is racy on a busy machine: the whole student fails

CONFIG = """\
# nbgrader configuration written by `blitz course`. Kernels started by nbgrader inherit this process's
# environment, so the data location set here reaches the notebooks' checks.
import os

os.environ.setdefault("BLITZ_DATA", {data!r})

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Seconds per cell. The training cells are the slowest; a cell that runs longer is interrupted and fails.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# After an interrupt nbclient waits this long for the kernel; on timeout the whole student fails.
c.Execute.iopub_timeout = {iopub}
c.Execute.raise_on_iopub_timeout = True
c.Execute.execute_retries = 0

# Feedback pages show each result but not the hidden tests' code (nbgrader shows it by default).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# nbgrader warns "checksum for cell test_... has changed!" for every test cell holding hidden tests, even in
# an untouched notebook (its gradebook keeps the checksum from before the hidden tests were cleared). This
# OverwriteCells restores an untouched test cell quietly; a changed one is still reported and overwritten.
from blitz.authoring.nbgrader_cells import sanitize_preprocessors  # noqa: E402

c.Autograde.sanitize_preprocessors = sanitize_preprocessors()
"""

NEXT_STEPS = Msg(
    """课程目录已经准备好：{root}
接下来：
  cd {root}
  nbgrader generate_assignment {first}        # 生成发给学生的 release/{first}/（去掉答案和隐藏测试）
  nbgrader collect {first}                    # 收作业；或者把学生的笔记本放到 submitted/<学生>/{first}/
  blitz course-autograde . {first}            # 自动评分（nbgrader autograde），并处理让内核退出的提交
  nbgrader generate_feedback {first} --force  # 每个学生一份 feedback/<学生>/{first}/*.html
  nbgrader export --to grades.csv             # 成绩表
作业（按课程顺序）：{ids}""",
    """The course directory is ready: {root}
Next:
  cd {root}
  nbgrader generate_assignment {first}        # release/{first}/ for the students (no answers, no hidden tests)
  nbgrader collect {first}                    # collect; or put each notebook in submitted/<student>/{first}/
  blitz course-autograde . {first}            # grade (nbgrader autograde), repairing submissions that kill the kernel
  nbgrader generate_feedback {first} --force  # feedback/<student>/{first}/*.html for every student
  nbgrader export --to grades.csv             # the grade sheet
Assignments, in course order: {ids}""",
)


def nbgrader_bin() -> str:
    """The nbgrader next to this Python (the venv's), so its kernels import this blitz."""
    candidate = Path(sys.executable).parent / "nbgrader"
    return str(candidate) if candidate.exists() else "nbgrader"


def nbgrader_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def make_course(root: Path, course_id: str = "blitz", timeout: int = DEFAULT_TIMEOUT) -> list[str]:
    """Write nbgrader_config.py and source/<id>/<id>.ipynb; returns the assignment ids."""
    from blitz.authoring.notebooks import notebook_exercises, notebook_text

    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        CONFIG.format(data=str(mnist.data_root()), course_id=course_id, timeout=int(timeout), iopub=IOPUB_TIMEOUT),
        encoding="utf-8",
    )
    ids = []
    for exercise in notebook_exercises():
        target = root / "source" / exercise.id / f"{exercise.id}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(notebook_text(exercise), encoding="utf-8")
        ids.append(exercise.id)
    return ids


def _course(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        print(
            Msg("--timeout 必须是正数（秒）。", "--timeout must be a positive number of seconds.").render(),
            file=sys.stderr,
        )
        return 2
    root = Path(args.dir).resolve()
    ids = make_course(root, args.course_id, args.timeout)
    # Both languages unless --lang / $BLITZ_LANG picks one: a course is often shared by several instructors.
    print(NEXT_STEPS.format(root=root, first=ids[0], ids=", ".join(ids)).render(chosen_lang()))
    return 0


# --------------------------------------------------------------------------------------------------
# autograde with repair

FAILED = re.compile(r"There was an error processing assignment '[^']*' for student '([^']+)'")


def _configured_timeout(root: Path) -> int:
    match = re.search(
        r"^c\.Execute\.timeout\s*=\s*(\d+)", (root / "nbgrader_config.py").read_text(encoding="utf-8"), re.M
    )
    return int(match.group(1)) if match else DEFAULT_TIMEOUT


def _autograde(root: Path, assignment: str, student: str | None = None) -> subprocess.CompletedProcess:
    argv = [nbgrader_bin(), "autograde", assignment, "--force"]
    if student:
        argv.append(f"--student={student}")
    return subprocess.run(argv, cwd=root, env=nbgrader_env(), capture_output=True, text=True)


def find_killer_cell(nb: nbformat.NotebookNode, cwd: Path, timeout: int) -> int | None:
    """Index of the first cell after which the kernel is dead or unresponsive; None if it runs to the end."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        iopub_timeout=IOPUB_TIMEOUT,
        raise_on_iopub_timeout=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except (DeadKernelError, CellTimeoutError, RuntimeError):
                    return index
                if not client.kc.is_alive() or not client.km.is_alive():
                    return index
    except (DeadKernelError, RuntimeError):
        return len(nb.cells) - 1
    return None


def _disarm(cell: nbformat.NotebookNode) -> None:
    note = Msg(
        "blitz：评分时这个单元格让 Python 内核退出或卡死（例如 os._exit、段错误、无法中断的循环），已被替换；原来的代码保存在 submitted_original/。",
        "blitz: while grading, this cell killed or hung the Python kernel (os._exit, a segfault, a loop that ignores "
        "interrupts); it was replaced, and the original is kept in submitted_original/.",
    )
    original = "\n".join("# " + line for line in cell.source.splitlines())
    cell.source = f"{original}\nraise RuntimeError({note.render('both')!r})"
    cell.outputs = []


def repair(root: Path, assignment: str, student: str, timeout: int) -> str | None:
    """Disarm the cells that stop the kernel in each of the student's notebooks; the reason if impossible."""
    import nbformat

    folder = root / "submitted" / student / assignment
    backup = root / "submitted_original" / student / assignment
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        changed = False
        for _ in range(5):  # a student may have several such cells
            index = find_killer_cell(nbformat.from_dict(nb), folder, timeout)
            if index is None:
                break
            meta = nb.cells[index].get("metadata", {}).get("nbgrader", {})
            if nb.cells[index].cell_type != "code" or meta.get("grade") or meta.get("locked"):
                return f"{path.name}: cell {index + 1} (a test or read-only cell) stopped the kernel"
            _disarm(nb.cells[index])
            changed = True
        if changed:
            backup.mkdir(parents=True, exist_ok=True)
            if not (backup / path.name).exists():
                shutil.copy2(path, backup / path.name)
            nbformat.write(nb, path)
    return None


def _feedback_note(root: Path, assignment: str, student: str, reason: str) -> Path:
    page = root / "feedback" / student / assignment / "blitz-not-graded.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    text = Msg(
        f"你的作业 {assignment} 没能自动评分：运行时 Python 内核退出或卡死（{reason}）。本次自动评分为 0 分；请改正后重新提交，或联系老师。",
        f"Your assignment {assignment} could not be graded automatically: the Python kernel died or hung ({reason}). "
        "The automatic score is 0; fix it and resubmit, or talk to your instructor.",
    )
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>blitz</title></head><body>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in text.render("both").splitlines())
        + "</body></html>\n",
        encoding="utf-8",
    )
    return page


def autograde_course(root: Path, assignment: str) -> dict[str, str]:
    """Autograde everyone; returns {student: "graded" | "repaired" | "not graded: <reason>"}."""
    timeout = _configured_timeout(root)
    result = _autograde(root, assignment)
    (root / f"autograde-{assignment}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    submitted = sorted(p.name for p in (root / "submitted").iterdir() if (p / assignment).is_dir())
    failed = set(FAILED.findall(result.stdout + result.stderr))
    failed |= {s for s in submitted if not (root / "autograded" / s / assignment).is_dir()}
    status = {s: "graded" for s in submitted if s not in failed}
    for student in sorted(failed):
        print(
            Msg(
                f"{student}：nbgrader 没能评分，查找让内核退出的单元格……",
                f"{student}: nbgrader could not grade this student; looking for the cell that stopped the kernel...",
            ).render()
        )
        reason = repair(root, assignment, student, timeout)
        if reason is None:
            again = _autograde(root, assignment, student)
            with open(root / f"autograde-{assignment}.log", "a", encoding="utf-8") as out:
                out.write(again.stdout + again.stderr)
            if (root / "autograded" / student / assignment).is_dir():
                status[student] = "repaired"
                continue
            reason = "nbgrader autograde failed again"
        _feedback_note(root, assignment, student, reason)
        status[student] = f"not graded: {reason}"
    return status


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


def _course_autograde(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    if not (root / "nbgrader_config.py").is_file():
        print(
            Msg(
                f"{root} 不是课程目录（没有 nbgrader_config.py）；先运行 `blitz course {args.dir}`。",
                f"{root} is not a course directory (no nbgrader_config.py); run `blitz course {args.dir}` first.",
            ).render(),
            file=sys.stderr,
        )
        return 2
    if not (root / "submitted").is_dir():
        print(
            Msg(
                "还没有提交（submitted/ 不存在）；先运行 nbgrader collect。",
                "Nothing submitted yet (no submitted/); run nbgrader collect first.",
            ).render(),
            file=sys.stderr,
        )
        return 2
    status = autograde_course(root, args.assignment)
    for student, state in status.items():
        print(f"{student:<20} {state}")
    if (root / "gradebook.db").is_file():
        print()
        print(Msg("成绩（nbgrader 成绩簿）：", "Scores (nbgrader's gradebook):").render())
        print(score_table(root, status))
    return 0 if all(not s.startswith("not graded") for s in status.values()) else 1


def register(subparsers) -> None:
    course = subparsers.add_parser(
        "course", help="instructors: write an nbgrader course directory / 教师：生成 nbgrader 课程目录"
    )
    course.add_argument("dir", help="the course directory to create or update")
    course.add_argument("--course-id", default="blitz", help="nbgrader course id (default: blitz)")
    course.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per cell when grading (default: {DEFAULT_TIMEOUT})",
    )
    course.set_defaults(func=_course)
    grade = subparsers.add_parser(
        "course-autograde",
        help="instructors: nbgrader autograde that survives submissions killing the kernel / 教师：自动评分",
    )
    grade.add_argument("dir", help="the course directory")
    grade.add_argument("assignment", help="assignment id, e.g. tensors")
    grade.set_defaults(func=_course_autograde)
