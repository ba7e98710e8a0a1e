"""Instructors: an nbgrader course made from the same notebooks.

    blitz course DIR [--course-id blitz] [--timeout S]   # nbgrader_config.py + source/<id>/<id>.ipynb

Grading it is `blitz course-autograde DIR ASSIGNMENT` (blitz/grading/notebook/): nbgrader's autograde
with every student's kernel in a sandbox, and the scores from the kit's checks.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.course import mnist
from blitz.course.i18n import Msg, chosen_lang, tr

if TYPE_CHECKING:
    pass

# nbformat (and torch, through blitz.authoring.notebooks) are imported where they are used, so that every
# other `blitz` command starts fast. Without nbformat these commands are unavailable, as before.
if importlib.util.find_spec("nbformat") is None:
    raise ImportError("No module named 'nbformat'", name="nbformat")

DEFAULT_TIMEOUT = 180  # s per cell: the training checks take ~10 s on a 2-core CPU; room for a loaded machine
IOPUB_TIMEOUT = 15  # nbgrader's 4 s default after an interrupt is racy on a busy machine: the whole student fails

CONFIG = """\
# nbgrader configuration written by `blitz course`. Kernels started by nbgrader inherit this process's
# environment, so the data location set here reaches the notebooks' checks.
#
# Grade with `blitz course-autograde . ASSIGNMENT`: it runs `nbgrader autograde` with each student's
# kernel in a bubblewrap sandbox (the `blitz-sandbox` kernelspec, Jupyter's ipc transport; given on
# nbgrader's command line) and takes the scores from the kit's checks, run outside the kernels. A plain
# `nbgrader autograde` runs the students' kernels unconfined and believes what they print.
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


def next_steps(root: str, first: str, ids: str) -> Msg:
    """What `blitz course` tells the instructor to do next."""
    return tr(
        """The course directory is ready: {root}
Next:
  cd {root}
  nbgrader generate_assignment {first}        # release/{first}/ for the students (no answers, no hidden tests)
  nbgrader collect {first}                    # collect; or put each notebook in submitted/<student>/{first}/
  blitz course-autograde . {first}            # grade (nbgrader autograde), repairing submissions that kill the kernel
  nbgrader generate_feedback {first} --force  # feedback/<student>/{first}/*.html for every student
  nbgrader export --to grades.csv             # the grade sheet
Assignments, in course order: {ids}""",
        root=root,
        first=first,
        ids=ids,
    )


def nbgrader_bin() -> str:
    """The nbgrader next to this Python (the venv's), so its kernels import this blitz."""
    candidate = Path(sys.executable).parent / "nbgrader"
    return str(candidate) if candidate.exists() else "nbgrader"


# nbgrader as the kit starts it (one process per student in `blitz course-autograde`): its own entry
# point, in this Python, without the IRI grammar, holding at most a bounded part of what a student's kernel
# sends (blitz.grading.notebook.bounded). Where no nbgrader module is importable, its command.
NBGRADER_MAIN = (
    "import sys; from blitz.engine.imports import skip_iri_grammar; skip_iri_grammar(); "
    "from blitz.grading.notebook.bounded import install; install(); "
    "sys.argv[0] = 'nbgrader'; from nbgrader.apps.nbgraderapp import main; sys.exit(main())"
)


def nbgrader_argv(*args: str) -> list[str]:
    """The argv of ``nbgrader ARGS`` as the kit runs it."""
    if importlib.util.find_spec("nbgrader") is None:
        return [nbgrader_bin(), *args]
    return [sys.executable, "-c", NBGRADER_MAIN, *args]


def nbgrader_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def make_course(root: Path, course_id: str = "blitz", timeout: int = DEFAULT_TIMEOUT) -> list[str]:
    """Write nbgrader_config.py and source/<id>/<id>.ipynb (the capstone's too); returns the assignment ids."""
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
    # The capstone: the student's whole pipeline in one notebook (blitz/authoring/capstone_notebook.py).
    from blitz.authoring.capstone_notebook import capstone_notebook_text
    from blitz.course import registry

    target = root / "source" / registry.CAPSTONE.id / f"{registry.CAPSTONE.id}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(capstone_notebook_text(), encoding="utf-8")
    order = [e.id for e in registry.EXERCISES]
    return sorted([*ids, registry.CAPSTONE.id], key=order.index)


def _course(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        print(
            tr("--timeout must be a positive number of seconds.").render(),
            file=sys.stderr,
        )
        return 2
    root = Path(args.dir).resolve()
    ids = make_course(root, args.course_id, args.timeout)
    # Both languages unless --lang / $BLITZ_LANG picks one: a course is often shared by several instructors.
    print(next_steps(str(root), ids[0], ", ".join(ids)).render(chosen_lang()))
    return 0


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
