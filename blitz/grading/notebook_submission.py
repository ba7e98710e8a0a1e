"""A submission of course notebooks, made into the exercise modules the grader reads.

On Gradescope a student may upload ``<id>.ipynb`` (the notebook of the exercise, as nbgrader
released it, answered) instead of ``<id>.py``. The module is the one `blitz course-autograde` makes
(:mod:`blitz.grading.notebook.extract`): the notebook's code cells in order, each run as the
notebook runs it (one that raises stops only itself), without the kit's check cells (nbgrader's
graded cells, and any cell that starts by importing ``blitz.frontends.notebook``: the checks and the
score so far) and with IPython's ``%`` and ``!`` lines commented out. A ``.py`` file wins over a
notebook of the same exercise.

The notebook is the student's: it is read by the rules of :mod:`blitz.execution.files` (lstat, no
link, no FIFO, a size cap) and parsed as JSON with nothing of it run here; what it holds runs only
in the sandbox, as any module would.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from blitz.course.i18n import Msg, tr
from blitz.course.registry import MODULE_EXERCISES
from blitz.execution import files

NOTEBOOK_BYTES = 4 << 20  # a notebook keeps its outputs (figures): larger than a module
CHECK_CELL = "from blitz.frontends.notebook import"
CELL_SECONDS = 60.0  # a cell's own limit (as nbgrader's per cell); the exercise's budget still bounds them all


class NotANotebook(ValueError):
    """The file is not a Jupyter notebook this module can read."""


def _cell(cell) -> dict | None:
    """A code cell of the student's JSON in the shape :mod:`blitz.grading.notebook.extract` reads, or
    None: not a code cell, a source that is not text, or a check cell."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    if not isinstance(source, str) or source.lstrip().startswith(CHECK_CELL):
        return None
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    nbgrader = (
        {k: v for k, v in nbgrader.items() if k in ("grade", "solution", "grade_id")}
        if isinstance(nbgrader, dict)
        else {}
    )
    return {"cell_type": "code", "metadata": {"nbgrader": nbgrader}, "source": source}


def code_cells(raw: bytes) -> list[dict]:
    """A course notebook's code cells without the kit's check cells, in order (NotANotebook when the
    bytes are not a notebook)."""
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotANotebook("not JSON") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise NotANotebook("no cells")
    return [c for c in map(_cell, cells) if c is not None]


def notebook_code(raw: bytes) -> str:
    """The student's code in a course notebook: its code cells (check cells left out), one after the
    other, as written; what `blitz similar` compares."""
    return "\n\n".join(cell["source"] for cell in code_cells(raw))


def notebook_module(raw: bytes, exercise_id: str = "exercise", name: str = "notebook.ipynb") -> str:
    """The module in a course notebook's bytes (NotANotebook when they are not a notebook): its code
    cells, each run as the notebook runs it, as `blitz course-autograde` makes it
    (:func:`blitz.grading.notebook.extract.module_text`)."""
    from blitz.grading.notebook.extract import module_text

    return module_text({"cells": code_cells(raw)}, exercise_id, name, CELL_SECONDS)


def _lexists(path: Path) -> bool:
    return os.path.lexists(path)


def notebook_exercises(folder: Path) -> list[str]:
    """The exercises of `folder` with a notebook and no module (by lstat: a link counts, and is refused)."""
    return [
        e.id for e in MODULE_EXERCISES if _lexists(folder / f"{e.id}.ipynb") and not _lexists(folder / f"{e.id}.py")
    ]


def with_notebooks(folder: Path, staging: Path) -> tuple[Path, list[Msg]]:
    """The folder to grade: `folder` itself when no notebook stands in for a module; else `staging`
    (made here), holding the folder's .py files and a module made from each such notebook. The
    messages say which exercises came from notebooks and which notebook could not be read."""
    names = notebook_exercises(folder)
    if not names:
        return folder, []
    staging.mkdir(parents=True, exist_ok=True)
    try:
        files.copy_python_files(folder, staging)
    except files.UnsafeFile:
        return folder, []  # the grader refuses the submission and says why
    notes = []
    for exercise_id in names:
        name = f"{exercise_id}.ipynb"
        try:
            source = notebook_module(files.read_regular(folder / name, NOTEBOOK_BYTES), exercise_id, name)
        except files.UnsafeFile as exc:
            notes.append(tr("{name} was not read: {exc_en}.", name=name, exc_en=exc.en, exc_zh=exc.zh))
            continue
        except NotANotebook:
            notes.append(
                tr(
                    "{name} is not a Jupyter notebook that can be read; upload {exercise_id}.py, or the notebook as Jupyter saves it.",
                    name=name,
                    exercise_id=exercise_id,
                )
            )
            continue
        (staging / f"{exercise_id}.py").write_text(source, encoding="utf-8")
        notes.append(
            tr(
                "{exercise_id} is graded from the code cells of {name} (its check cells left out).",
                exercise_id=exercise_id,
                name=name,
            )
        )
    return staging, notes
