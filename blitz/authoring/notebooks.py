"""Notebooks for the nbgrader course, generated from solutions/<id>.py and the check registry.

One notebook per exercise that has a module, in the course's order. The capstone `pipeline` has
no notebook here: its check trains a model built from the student's data, model, train and evaluate
modules together, and an nbgrader notebook cannot see the code of the other notebooks; the nbgrader
course gets one that holds all their code cells (blitz/authoring/capstone_notebook.py).

Each notebook is: a read-only introduction; then, for every top-level function or class of the
solution, a read-only explanation (from its docstring) and a code cell. Code that holds a solution
region becomes an nbgrader solution cell (`### BEGIN SOLUTION`); other code (imports) is read-only.
After the code that a check exercises comes its autograded test cell, worth the check's points: it
calls the same check function as `pytest autograder`, and inside `### BEGIN HIDDEN TESTS` runs it
once more with a seed the students never see. A failing test cell shows the check's hint ladder in
both languages (blitz/frontends/notebook.py). The last cell shows the score so far (like otter-grader's
check_all): read-only, no grade metadata and no points, and it never raises, so nbgrader's validate
and autograde ignore it. `blitz generate` writes notebooks/<id>.ipynb; a test fails while a committed
notebook differs from what this module makes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from blitz.authoring.markers import BEGIN, END, strip_solutions
from blitz.checks import Check, checks_for
from blitz.course import reading, registry
from blitz.course.i18n import Msg, tr

# Seeds of the hidden second run of each check: check i of an exercise uses HIDDEN_SEED + i.
HIDDEN_SEED = 7919

# Why each section matters, in a sentence or two (the docstrings say what each function does).
WHY: dict[str, Msg] = {
    "tensors": tr(
        "Everything in PyTorch (data, weights, gradients) is a tensor. Making tensors, reading their shape, dtype and device, slicing, joining and multiplying them is what every later section builds on."
    ),
    "autograd": tr(
        "Training a network is a loop of: compute the loss, get the gradients, take a small step against them. Autograd computes the gradients for us; doing the step by hand once shows what an optimizer does later."
    ),
    "data": tr(
        "A model only takes tensors. This section turns MNIST images into normalised tensors and lets a DataLoader feed them to the model in shuffled mini-batches."
    ),
    "model": tr(
        "Conv layers slide small windows over the image to find local features, pooling shrinks the maps, and a final linear layer scores the 10 digits. Knowing each layer's output size is what makes shapes fit."
    ),
    "train": tr(
        "The training loop is the heart of deep learning: forward, loss, zero the gradients, backward, step. Get one step out of order and the model does not learn."
    ),
    "evaluate": tr(
        "After training, measure the model on the test set it never saw: take the predicted class from the scores, then count how many are right."
    ),
    "extras": tr(
        "Optional: the other layers and loss functions the course mentions at the end, and view/permute to reshape tensors. Skipping it does not affect the main path."
    ),
}

HOW_TO = tr(
    "**How**: write your code where it says `YOUR CODE HERE` and remove `raise NotImplementedError()`. The test cell after each piece of code runs the same check as `pytest autograder`; run the cells top to bottom (Run All). Before you hand it in, restart the kernel and run every cell (Kernel → Restart Kernel and Run All Cells) and see that every test cell passes. Grading runs each check once more with other random seeds."
)


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    """nbgrader's cell metadata (schema 3, nbgrader 0.9)."""
    md = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        md["points"] = points
    return {"nbgrader": md}


def _chunks(source: str) -> tuple[str | None, list[tuple[str | None, str, str | None]]]:
    """(module docstring, [(name of the def/class or None for module code, source lines, its docstring)]).

    Each top-level def/class is one chunk (with its decorators and the comments right above it);
    the statements between them are grouped into one chunk each.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    body = list(tree.body)
    docstring = ast.get_docstring(tree)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    spans: list[tuple[str | None, int, int, str | None]] = []  # (name, first line, last line (0-based), docstring)
    for node in body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        end = (node.end_lineno or node.lineno) - 1  # set by ast.parse on every statement
        # Comments (and solution markers) directly above a statement belong to it.
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        named = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
        name = named.name if named else None
        if name is None and spans and spans[-1][0] is None:
            spans[-1] = (None, spans[-1][1], end, None)
        else:
            spans.append((name, start, end, ast.get_docstring(named) if named else None))
    chunks = []
    for i, (name, start, end, doc) in enumerate(spans):
        # A module-level END SOLUTION may follow the last statement of a chunk; take trailing comments too.
        limit = spans[i + 1][1] if i + 1 < len(spans) else len(lines)
        while end + 1 < limit and lines[end + 1].lstrip().startswith("#"):
            end += 1
        chunks.append((name, "\n".join(lines[start : end + 1]), doc))
    return docstring, chunks


def _split_regions(text: str) -> list[str]:
    """Module-level code: a solution region gets a cell of its own, so the imports around it stay read-only."""
    pieces: list[list[str]] = [[]]
    inside = False
    for line in text.splitlines():
        if BEGIN.match(line) and not line[:1].isspace():
            pieces.append([line])
            inside = True
        elif inside and END.match(line):
            pieces[-1].append(line)
            pieces.append([])
            inside = False
        else:
            pieces[-1].append(line)
    return ["\n".join(p).strip("\n") for p in pieces if "\n".join(p).strip()]


def _owner(check: Check, names: list[str]) -> str | None:
    """The def/class a check exercises: same name, or the class whose name prefixes it (CNN → cnn_structure)."""
    if check.name in names:  # an exact name wins over a prefix (cubic_minus_square_grads, not cubic_minus_square)
        return check.name
    for name in names:
        if check.name.startswith(name.lower() + "_"):
            return name
    return None


def _test_source(check: Check, index: int) -> str:
    return (
        "from blitz.frontends.notebook import check\n"
        f'check("{check.key}", globals())\n'
        "### BEGIN HIDDEN TESTS\n"
        f'check("{check.key}", globals(), seed={HIDDEN_SEED + index})\n'
        "### END HIDDEN TESTS"
    )


SCORE_NOTE = tr(
    "Run the cell below to see what each check gives your code as it is now. It is for you; it does not count toward the grade."
)


def score_cells(exercise: registry.Exercise) -> list:
    """The notebook's last cells: the score so far, worth no points (grade is False, no points)."""
    about = f"## 目前得分 / Score so far\n\n{SCORE_NOTE.zh}\n\n{SCORE_NOTE.en}"
    code = f'from blitz.frontends.notebook import score\nscore("{exercise.id}", globals())'
    return [
        new_markdown_cell(about, metadata=_meta("about_score", grade=False, solution=False, locked=True)),
        new_code_cell(code, metadata=_meta("score_so_far", grade=False, solution=False, locked=True)),
    ]


def build_notebook(exercise: registry.Exercise) -> nbformat.NotebookNode:
    source = exercise.solution_path.read_text(encoding="utf-8")
    docstring, chunks = _chunks(source)
    checks = checks_for(exercise.id)
    names = [name for name, _, _ in chunks if name]
    placed: dict[str | None, list[tuple[int, Check]]] = {}
    for index, entry in enumerate(checks):
        placed.setdefault(_owner(entry, names), []).append((index, entry))

    why = WHY.get(exercise.id)
    intro = [
        f"# 练习 {exercise.id}：{exercise.title.zh}",
        f"# Exercise {exercise.id}: {exercise.title.en}",
        "",
    ]
    if why:
        intro += [why.zh, "", why.en, ""]
    if docstring:
        intro += [docstring, ""]
    if exercise.optional:
        intro += ["*选做 / Optional.*", ""]
    intro += [HOW_TO.zh, "", HOW_TO.en, "", f"共 {exercise.points} 分 / {exercise.points} points."]
    cells = [new_markdown_cell("\n".join(intro), metadata=_meta("intro", grade=False, solution=False, locked=True))]
    # The exercise's reading (the course text with examples; also `blitz learn ID`), both languages.
    course_text = "\n\n---\n\n".join(reading.text(exercise.id, lang) for lang in reading.LANGS)
    cells.append(new_markdown_cell(course_text, metadata=_meta("reading", grade=False, solution=False, locked=True)))

    def test_cells(owner: str | None) -> None:
        for index, entry in placed.get(owner, []):
            gid = f"test_{entry.name}"
            cells.append(
                new_markdown_cell(
                    f"**检查 / Check:** {entry.title.zh} / {entry.title.en}",
                    metadata=_meta(f"about_{gid}", grade=False, solution=False, locked=True),
                )
            )
            cells.append(
                new_code_cell(
                    _test_source(entry, index),
                    metadata=_meta(gid, grade=True, solution=False, locked=True, points=entry.max_score),
                )
            )

    module_cells = 0
    pieces: list[tuple[str | None, str, str | None]] = []
    for name, chunk, doc in chunks:
        pieces += [(name, chunk, doc)] if name else [(None, piece, None) for piece in _split_regions(chunk)]
    for name, chunk, doc in pieces:
        has_solution = any(BEGIN.match(line) for line in chunk.splitlines())
        code = strip_solutions(chunk, exercise.id, replacement="nbgrader").rstrip("\n")
        if name:
            text = f"## `{name}`"
            if doc:
                text += "\n\n" + doc
            cells.append(
                new_markdown_cell(text, metadata=_meta(f"about_{name}", grade=False, solution=False, locked=True))
            )
            gid = name
        else:
            module_cells += 1
            gid = f"module_{module_cells}"
        cells.append(
            new_code_cell(code, metadata=_meta(gid, grade=False, solution=has_solution, locked=not has_solution))
        )
        if name:
            test_cells(name)
    test_cells(None)
    cells += score_cells(exercise)

    for cell in cells:
        # Stable ids: the committed files must not change from one `blitz generate` to the next.
        cell["id"] = cell.metadata["nbgrader"]["grade_id"].replace(".", "-")
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["blitz"] = {"exercise": exercise.id, "generated_from": f"solutions/{exercise.id}.py"}
    return nb


def notebook_exercises() -> tuple[registry.Exercise, ...]:
    """The exercises that get a notebook (and an nbgrader assignment), in the course's order."""
    return registry.MODULE_EXERCISES


def notebook_text(exercise: registry.Exercise) -> str:
    nb = build_notebook(exercise)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def generated_notebooks() -> dict[Path, str]:
    return {e.notebook_path: notebook_text(e) for e in notebook_exercises()}
