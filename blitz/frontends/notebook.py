"""What a notebook's test cell imports: the checks of `pytest autograder`, run on the notebook's globals().

    from blitz.frontends.notebook import check
    check("tensors.from_data", globals())

A failing check raises AssertionError with the check's own bilingual message, so nbgrader (and a
student pressing Run) sees the same words as `pytest autograder` prints; a pass prints one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from blitz.checks import Context, get_check, run_check
from blitz.course.i18n import chosen_lang
from blitz.probes.local import namespace_submission


class CheckFailed(AssertionError):
    """A failed check in a notebook (an AssertionError, which is what nbgrader counts as a failed test)."""


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
    if not result.passed:
        raise CheckFailed(f"[{key}] {entry.title.render(lang)}\n{result.message.render(lang)}") from None
    print(f"✓ {key}  {result.score:g} / {result.max_score:g}")
