"""What a notebook's test cell imports: the checks of `pytest autograder`, run on the notebook's globals().

    from blitz.frontends.notebook import check
    check("tensors.from_data", globals())

A failing check raises AssertionError with the check's own bilingual message and, under it, the
check's hint ladder (blitz/course/hints.py), so nbgrader (and a student pressing Run) sees the same
words as `pytest autograder` prints, and what to try; a pass prints one line. :func:`score` (the
notebook's last cell) shows the score so far, like otter-grader's check_all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from blitz.checks import Context, checks_for, get_check, run_check
from blitz.course.i18n import Msg, chosen_lang
from blitz.course.text import points
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
        text = f"[{key}] {entry.title.render(lang)}\n{result.message.render(lang)}"
        raise CheckFailed(text + "\n" + ladder_text(entry.hints, lang)) from None
    print(f"✓ {key}  {points(result.score)} / {points(result.max_score)}")


HINTS_HEADING = Msg("提示（由浅入深）：", "Hints, gentle first:")


def ladder_text(rungs, lang: str) -> str:
    """A check's hint ladder under its failure: numbered rungs, each in the chosen language(s)."""
    lines = [HINTS_HEADING.render(lang).replace("\n", " / " if lang == "both" else "\n")]
    for number, rung in enumerate(rungs, 1):
        text = rung.render(lang).replace("\n", "\n     ")
        lines.append(f"  {number}. {text}")
    return "\n".join(lines)


def score(exercise: str, namespace: Mapping[str, Any]) -> None:
    """Print the score so far: every visible check of the exercise, run on the notebook's code.

    Never raises and returns None: the cell that calls it is locked and worth no points, and nbgrader's
    validate counts a locked cell that raises as a failure.
    """
    lang = chosen_lang()
    total = earned = 0.0
    lines = []
    for entry in (c for c in checks_for(exercise) if not c.hidden):
        try:
            result = run_check(entry, namespace_submission(exercise, namespace), Context())
            passed, got = result.passed, result.score
        except Exception:  # noqa: BLE001 - a score table must not fail the notebook
            passed, got = False, 0.0
        total += entry.max_score
        earned += got
        lines.append(f"  {'✓' if passed else '✗'} {entry.key:<34} {points(got)} / {points(entry.max_score)}")
    heading = Msg(f"目前得分：{points(earned)} / {points(total)}", f"Score so far: {points(earned)} / {points(total)}")
    print("\n".join([heading.render(lang).replace("\n", " / "), *lines]))
