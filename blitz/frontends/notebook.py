"""What a notebook's test cell imports: the checks of `pytest autograder`, run on the notebook's globals().

    from blitz.frontends.notebook import check
    check("tensors.from_data", globals())

A failing check raises AssertionError with the check's own bilingual message, so nbgrader (and a
student pressing Run) sees the same words as `pytest autograder` prints, and no traceback; a pass
prints one line. nbgrader's hidden tests call it again with another seed: that run says in one line
that it is the graders' run on other inputs, and never shows its seed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from blitz.checks import Context, get_check, run_check
from blitz.course.i18n import Msg, chosen_lang
from blitz.probes.local import namespace_submission

GRADED_PASSED = Msg(
    "评分时用另一组随机输入又检查了一次：也通过了。",
    "checked once more by the grader, on other random inputs: passed too.",
)
GRADED_FAILED = Msg(
    "评分时用另一组随机输入又检查了一次（上面那次用的是你看到的输入），这一次没有通过：",
    "The grader checked once more on other random inputs (the run above used the inputs you see), and this run failed:",
)


class CheckFailed(AssertionError):
    """A failed check in a notebook (an AssertionError, which is what nbgrader counts as a failed test).

    Jupyter shows only its message, not a traceback: a traceback would quote the test cell around the
    failing line (the hidden tests among them, in nbgrader's feedback) and the kit's files on the
    grader's machine.
    """

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of the traceback
        return [f"{type(self).__name__}: {self}"]


def check(key: str, namespace: Mapping[str, Any], seed: int = 0) -> None:
    """Run check `key` (e.g. "tensors.from_data") on the functions defined in `namespace`.

    Returns None on purpose: nbgrader reads a test cell's value as partial credit, so a cell must
    show no value; the score comes from the cell passing (full points) or raising (none).
    """
    entry = get_check(key)
    sub = namespace_submission(entry.exercise, namespace)
    ctx = Context(device=os.environ.get("BLITZ_DEVICE", "cpu"), seed=seed)
    # Notebooks are read by students of both languages: both unless BLITZ_LANG asks for one.
    lang = chosen_lang()
    result = run_check(entry, sub, ctx)  # no MNIST: a failure saying how to get it ("no_data")
    # seed 0 is the run students see; any other is the graders' run on other random inputs (nbgrader's
    # hidden tests), which says so in one line and never shows its seed.
    graded = seed != 0
    if not result.passed:
        about = GRADED_FAILED.render(lang) + "\n" if graded else ""
        raise CheckFailed(f"{about}[{key}] {entry.title.render(lang)}\n{result.message.render(lang)}") from None
    if graded:
        print(f"✓ {key}  {GRADED_PASSED.render(lang)}")
    else:
        print(f"✓ {key}  {result.score:g} / {result.max_score:g}")
