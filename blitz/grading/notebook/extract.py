"""A submitted notebook's code as the exercise module the kit grades.

Every code cell but the graded test cells and the locked score-so-far cell, in order, each kept
verbatim in the module file as a raw string at the line where its code starts, and run cell by cell
by :func:`blitz.engine.cells.run_cells` (a failing cell stops only itself, as in a notebook).
IPython's magics and shell lines (``%time``, ``!pip``, ``%%capture``) are commented out: the
kit grades Python, and a sandboxed worker has no shell to give.
"""

from __future__ import annotations

from pathlib import Path

MAX_NOTEBOOK_BYTES = 64 << 20  # a notebook file read from a submission (outputs included)
SKIPPED_IDS = ("score_so_far",)  # locked cells that only show results


def graded_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def python_only(source: str) -> str:
    """Magics and shell lines commented out, line for line."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join("# " + line for line in lines)
    return "\n".join("# " + line if line.lstrip()[:1] in ("%", "!") else line for line in lines)


def code_cells(nb) -> list[tuple[int, str]]:
    """(1-based cell number, source) of the cells the module runs."""
    out = []
    for number, cell in enumerate(nb.get("cells", []), 1):
        if cell.get("cell_type") != "code" or graded_cell(cell):
            continue
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in SKIPPED_IDS:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        out.append((number, python_only(source)))
    return out


def _literal(source: str) -> tuple[str, bool]:
    """A raw triple-quoted literal holding `source` verbatim when one can; else repr (one line)."""
    for quote in ("'''", '"""'):
        if quote not in source and not source.endswith(("\\", quote[0])) and "\r" not in source:
            return f"r{quote}{source}\n{quote}", True  # the closing quotes on a line of their own
    return repr(source), False


def module_text(nb, exercise_id: str, notebook_name: str, cell_timeout: float) -> str:
    head = [
        f"# Made by blitz from {notebook_name!r}: its code cells, each run as the notebook",
        f"# runs it (one that raises, or runs longer than {cell_timeout:g} s, stops only itself). The checks of",
        f"# {exercise_id} grade the functions it defines.",
        "from blitz.engine.cells import run_cells as _blitz_run_cells",
        "",
        "_blitz_cells = [",
    ]
    lines = list(head)
    for number, source in code_cells(nb):
        literal, verbatim = _literal(source)
        first = sum(line.count("\n") + 1 for line in lines) + 1  # the line this entry starts on
        # the cell's first line sits on that line; a repr'd cell cannot map its lines (it says 0)
        lines.append(f"    ({number}, {first if verbatim else 0}, {literal}),")
    lines += ["]", f"_blitz_run_cells(globals(), _blitz_cells, {float(cell_timeout)!r})", ""]
    return "\n".join(lines)


def read_notebook(path: Path):
    """A submitted notebook, read by the grader's rules (regular file, no link, size cap)."""
    import nbformat

    from blitz.execution.files import read_regular

    data = read_regular(path, MAX_NOTEBOOK_BYTES)
    return nbformat.reads(data.decode("utf-8", errors="replace"), as_version=4)


def write_module(nb, exercise_id: str, notebook_name: str, folder: Path, cell_timeout: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{exercise_id}.py"
    path.write_text(module_text(nb, exercise_id, notebook_name, cell_timeout), encoding="utf-8")
    return path
