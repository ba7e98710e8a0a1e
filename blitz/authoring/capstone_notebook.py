"""The nbgrader course's capstone notebook: the student's whole pipeline in one notebook.

An nbgrader notebook cannot import the code of the student's other notebooks, so the capstone's
notebook holds it: for each exercise the capstone runs together (``registry.CAPSTONE.inputs``: data,
model, train, evaluate) the code cells of that exercise's notebook (its read-only imports and its
solution cells, which the student fills with their answers from that notebook), then one autograded
test cell worth the capstone's points. The kit grades it (blitz/grading/notebook/kitscore.py): the
notebook's code becomes each of the inputs' modules, and the capstone's trusted check trains and
scores it in the sandbox, as `blitz grade` does. With it the course's gradebook totals 100.
"""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

from blitz.checks import checks_for
from blitz.course import registry
from blitz.course.i18n import Msg, tr


def how_to(inputs: str) -> Msg:
    """What the capstone notebook asks, naming the notebooks whose code it gathers."""
    return tr(
        "**How**: this notebook puts the code you wrote in the {inputs} notebooks together, then trains and "
        "evaluates it on real MNIST. Replace each `YOUR CODE HERE` with your answer from that notebook, then run "
        "the test cell at the end.",
        inputs=inputs,
    )


def _meta(grade_id: str, **flags) -> dict:
    from blitz.authoring.notebooks import _meta as meta

    return meta(grade_id, **flags)


def _code_cells(exercise: registry.Exercise) -> list:
    """The exercise notebook's code cells that define its module (no test or score cells), renamed."""
    from blitz.authoring.notebooks import build_notebook

    cells = [
        new_markdown_cell(
            f"## {exercise.id}: {exercise.title.zh} / {exercise.title.en}",
            metadata=_meta(f"{exercise.id}_heading", grade=False, solution=False, locked=True),
        )
    ]
    for cell in build_notebook(exercise).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade") or meta.get("grade_id") == "score_so_far":
            continue
        gid = f"{exercise.id}_{meta['grade_id']}"
        cells.append(
            nbformat.v4.new_code_cell(
                cell.source,
                metadata=_meta(gid, grade=False, solution=bool(meta.get("solution")), locked=bool(meta.get("locked"))),
            )
        )
    return cells


def build_capstone_notebook() -> nbformat.NotebookNode:
    from blitz.authoring.notebooks import _test_source

    capstone = registry.CAPSTONE
    inputs = ", ".join(capstone.inputs)
    intro = [
        f"# 练习 {capstone.id}：{capstone.title.zh}",
        f"# Exercise {capstone.id}: {capstone.title.en}",
        "",
        how_to(inputs).zh,
        "",
        how_to(inputs).en,
        "",
        f"共 {capstone.points} 分 / {capstone.points} points.",
    ]
    cells = [new_markdown_cell("\n".join(intro), metadata=_meta("intro", grade=False, solution=False, locked=True))]
    for exercise_id in capstone.inputs:
        cells += _code_cells(registry.BY_ID[exercise_id])
    for index, entry in enumerate(checks_for(capstone.id)):
        gid = f"test_{entry.name}"
        cells.append(
            new_markdown_cell(
                f"**检查 / Check:** {entry.title.zh} / {entry.title.en}",
                metadata=_meta(f"about_{gid}", grade=False, solution=False, locked=True),
            )
        )
        cells.append(
            nbformat.v4.new_code_cell(
                _test_source(entry, index),
                metadata=_meta(gid, grade=True, solution=False, locked=True, points=entry.max_score),
            )
        )
    for cell in cells:
        cell["id"] = cell.metadata["nbgrader"]["grade_id"].replace(".", "-")
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["blitz"] = {"exercise": capstone.id, "inputs": list(capstone.inputs)}
    nbformat.validate(nb)
    return nb


def capstone_notebook_text() -> str:
    return nbformat.writes(build_capstone_notebook()) + "\n"
