"""The generated notebooks, with the answers in, run top to bottom in a real python3 kernel (nbclient);
what they hold is checked in process by tests/unit/test_notebooks.py."""

from __future__ import annotations

import nbformat
import pytest

from blitz.authoring.notebooks import notebook_exercises, notebook_text

EXERCISES = notebook_exercises()


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_solved_notebook_runs_top_to_bottom(exercise):
    """With the answers in, every cell runs and every check passes (nbclient, a real python3 kernel)."""
    from nbclient import NotebookClient

    nb = nbformat.reads(notebook_text(exercise), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()  # raises CellExecutionError on any failure
    for c in nb.cells:
        if meta(c).get("grade"):
            text = "".join(o.text for o in c.outputs if o.output_type == "stream")
            key = f"{exercise.id}.{meta(c)['grade_id'].removeprefix('test_')}"
            assert text.count(f"✓ {key} ") == 2, text  # the visible run and the hidden one
            assert not [o for o in c.outputs if o.output_type == "execute_result"]  # nbgrader would read it as a score
