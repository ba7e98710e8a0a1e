"""Students whose kernel died: find the cell that killed it, disarm it, so nbgrader can grade the rest.

nbgrader gives up on a whole student when a cell kills the kernel (os._exit, a segfault) or ignores
the interrupt after a timeout: no autograded notebook, no feedback. :func:`repair` runs the notebook
once more cell by cell (in the same sandboxed kernel as nbgrader's, :mod:`.kernel`), finds the cell
that stopped the kernel, replaces that cell (only ever an answer cell) by a ``raise RuntimeError(...)``
that says what happened, and keeps the original notebook in submitted_original/. A student whose
*test* cell stops the kernel cannot be repaired that way (:func:`feedback_note` says so); the kit
still grades their code (:mod:`.kitscore`).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.course.i18n import tr

if TYPE_CHECKING:
    import nbformat

IOPUB_TIMEOUT = 15  # nbgrader's 4 s default after an interrupt is racy on a busy machine


def find_killer_cell(nb: nbformat.NotebookNode, cwd: Path, timeout: int, config=None) -> int | None:
    """Index of the first cell after which the kernel is dead or unresponsive; None if it runs to the end."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from blitz.grading.notebook.bounded import install
    from blitz.grading.notebook.kernel import KERNEL_NAME

    install()  # what the kernel sends is bounded here too, as in nbgrader's process
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=True,
        interrupt_on_timeout=True,
        iopub_timeout=IOPUB_TIMEOUT,
        raise_on_iopub_timeout=True,
        resources={"metadata": {"path": str(cwd)}},
        **({"config": config} if config is not None else {}),
    )
    try:
        with client.setup_kernel():
            kc, km = client.kc, client.km
            assert kc is not None and km is not None  # what setup_kernel started
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except (DeadKernelError, CellTimeoutError, RuntimeError):
                    return index
                if not kc.is_alive() or not km.is_alive():  # type: ignore[attr-defined]  # nbclient types kc as the base KernelClient; it is a blocking client, which has is_alive
                    return index
    except (DeadKernelError, RuntimeError):
        return len(nb.cells) - 1
    return None


def _disarm(cell: nbformat.NotebookNode) -> None:
    note = tr(
        "blitz: while grading, this cell killed or hung the Python kernel (os._exit, a segfault, a loop that ignores interrupts); it was replaced, and the original is kept in submitted_original/."
    )
    original = "\n".join("# " + line for line in cell.source.splitlines())
    cell.source = f"{original}\nraise RuntimeError({note.render('both')!r})"
    cell.outputs = []


def repair(root: Path, assignment: str, student: str, timeout: int, config=None) -> str | None:
    """Disarm the cells that stop the kernel in each of the student's notebooks; the reason if impossible."""
    import nbformat

    from blitz.grading.notebook.extract import read_notebook

    folder = root / "submitted" / student / assignment
    backup = root / "submitted_original" / student / assignment
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = read_notebook(path)
        except Exception as exc:  # noqa: BLE001 - an unreadable notebook is the student's, not the batch's
            return f"{path.name} cannot be read ({type(exc).__name__})"
        changed = False
        for _ in range(5):  # a student may have several such cells
            index = find_killer_cell(nbformat.from_dict(nb), folder, timeout, config)
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
                shutil.copy2(path, backup / path.name, follow_symlinks=False)
            path.unlink()
            nbformat.write(nb, path)
    return None


def feedback_note(root: Path, assignment: str, student: str, reason: str, score: str) -> Path:
    page = root / "feedback" / student / assignment / "blitz-not-graded.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    text = tr(
        "nbgrader could not run your assignment {assignment}: the Python kernel died or hung ({reason}), so there is no cell-by-cell feedback. Your code was still graded by the grader's checks: {score}. Fix it and resubmit, or talk to your instructor.",
        assignment=assignment,
        reason=reason,
        score=score,
    )
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>blitz</title></head><body>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in text.render("both").splitlines())
        + "</body></html>\n",
        encoding="utf-8",
    )
    return page
