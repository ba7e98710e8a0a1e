"""A notebook's code cells, run as a module the way a kernel runs them (stdlib only).

`blitz course-autograde` grades a notebook by turning its code cells into one exercise module
(blitz.grading.notebook.extract) that calls :func:`run_cells` at import. As in the notebook, each
cell runs in the module's globals, one after the other; a cell that raises, or runs longer than its
time limit (an interrupt, as nbgrader's cell timeout gives), stops only itself, and the next cell
runs. The code of each cell sits verbatim in the module file at the line given with it, so a
traceback names the module's real file and lines.
"""

from __future__ import annotations
import __future__

import ast
import signal
import sys
from collections.abc import Sequence
from typing import Any

# `from __future__ import annotations` in one cell holds for the later ones too, as in IPython
FUTURE = 0
for _name in __future__.all_feature_names:
    FUTURE |= getattr(__future__, _name).compiler_flag


class CellTimeout(BaseException):
    """A cell ran past its time limit (what a notebook's interrupt raises: KeyboardInterrupt)."""


def _interrupt(signum, frame):
    raise CellTimeout("the cell ran longer than its time limit and was interrupted")


def run_cells(namespace: dict[str, Any], cells: Sequence[tuple[int, int, str]], timeout: float) -> list[str]:
    """Run each (cell number, first line in the module file, source) in `namespace`; returns one line
    per cell that failed ("cell 3: NameError: ..."), also written to stderr."""
    failed = []
    flags = 0
    for number, line, source in cells:
        # a cell whose code is not verbatim in the file (line 0) gets a name of its own
        filename = namespace.get("__file__") or "<notebook>" if line > 0 else f"<cell {number}>"
        try:
            tree = ast.parse(source, filename=filename)
            ast.increment_lineno(tree, max(0, line - 1))
            code = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
            flags |= code.co_flags & FUTURE
        except (SyntaxError, ValueError) as exc:
            failed.append(f"cell {number}: {type(exc).__name__}: {exc}")
            continue
        previous = signal.signal(signal.SIGALRM, _interrupt)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            exec(code, namespace)  # noqa: S102 - the student's own code, in the sandboxed worker
        except BaseException as exc:  # noqa: BLE001 - a notebook goes on after a failing cell
            failed.append(f"cell {number}: {type(exc).__name__}: {exc}"[:500])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    for text in failed:
        print(text, file=sys.stderr)
    return failed
