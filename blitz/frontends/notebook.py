"""What a notebook's test cell imports: the checks of `pytest autograder`, run on the notebook's globals().

    from blitz.frontends.notebook import check
    check("tensors.from_data", globals())

A failing check raises AssertionError with the check's own bilingual message and, under it, the
check's hint ladder (blitz/course/hints.py), so nbgrader (and a student pressing Run) sees the same
words as `pytest autograder` prints, what to try, and no traceback; a pass prints one line.
nbgrader's hidden tests call it again with another seed: that run says in one line that it is the
graders' run on other inputs, and never shows its seed. :func:`score` (the notebook's last cell)
shows the score so far, like otter-grader's check_all.

In a kernel that `blitz course-autograde` runs in its sandbox (``BLITZ_SCORED_BY_KIT`` set), the
test cells check nothing and fail (so nbgrader's own score of each is 0): the grader runs the checks
on the notebook's code itself, outside the kernel, and writes their results (:func:`passed_line`,
:func:`failure_text`) into these cells' outputs and their scores into the gradebook. Whatever a
cell does to this module changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from blitz.checks import Context, checks_for, get_check, run_check
from blitz.course.i18n import Msg, chosen_lang, tr
from blitz.course.text import points
from blitz.probes.local import namespace_submission

GRADED_PASSED = tr("checked once more by the grader, on other random inputs: passed too.")
GRADED_FAILED = tr(
    "The grader checked once more on other random inputs (the run above used the inputs you see), and this run failed:"
)


GRADED_ENV = "BLITZ_SCORED_BY_KIT"
ELSEWHERE = tr("(while grading, the grader runs the checks outside this kernel and writes their results here.)")


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
    # Notebooks are read by students of both languages: both unless BLITZ_LANG asks for one.
    lang = chosen_lang()
    if os.environ.get(GRADED_ENV):  # fails: the kernel's own score is 0 until the grader writes its own
        raise CheckFailed(f"[{key}] {ELSEWHERE.render(lang)}")
    entry = get_check(key)
    sub = namespace_submission(entry.exercise, namespace)
    ctx = Context(device=os.environ.get("BLITZ_DEVICE", "cpu"), seed=seed)
    result = run_check(entry, sub, ctx)  # no MNIST: a failure saying how to get it ("no_data")
    # seed 0 is the run students see; any other is the graders' run on other random inputs (nbgrader's
    # hidden tests), which says so in one line and never shows its seed.
    graded = seed != 0
    if not result.passed:
        # One more rung of the ladder each time the cell fails again in this kernel, the first at first.
        shown = _SHOWN[key] = _SHOWN.get(key, 0) + 1
        raise CheckFailed(failure_text(entry, result, graded, lang, rungs=shown)) from None
    print(passed_line(result, graded, lang))


def passed_line(result, graded: bool, lang: str) -> str:
    """What a test cell prints for a passed run (the visible one, or the graders' hidden one)."""
    if graded:
        return f"✓ {result.key}  {GRADED_PASSED.render(lang)}"
    return f"✓ {result.key}  {points(result.score)} / {points(result.max_score)}"


def failure_text(entry, result, graded: bool, lang: str, rungs: int | None = None) -> str:
    """The CheckFailed message of a failed run: the check, what went wrong, the first `rungs` of the
    hint ladder (all of it when None: a grader's feedback, which cannot be run again)."""
    about = GRADED_FAILED.render(lang) + "\n" if graded else ""
    message = result.message.render(lang) if result.message is not None else ""
    text = f"{about}[{entry.key}] {entry.title.render(lang)}\n{message}"
    hints = list(entry.hints)
    shown = hints if rungs is None else hints[: max(1, rungs)]
    return text + "\n" + ladder_text(shown, lang, more=len(hints) - len(shown))


HINTS_HEADING = tr("Hints, gentle first:")
# Rungs shown per check in this kernel (the test cells' check()).
_SHOWN: dict[str, int] = {}


def more_hints(count: int) -> Msg:
    return tr("{count} more hint(s): run this cell again while it fails to see one more each time.", count=count)


def ladder_text(rungs, lang: str, more: int = 0) -> str:
    """A check's hint ladder under its failure: numbered rungs, each in the chosen language(s), and how
    many are still to come."""
    lines = [HINTS_HEADING.render(lang).replace("\n", " / " if lang == "both" else "\n")]
    for number, rung in enumerate(rungs, 1):
        text = rung.render(lang).replace("\n", "\n     ")
        lines.append(f"  {number}. {text}")
    if more > 0:
        lines.append(more_hints(more).render(lang))
    return "\n".join(lines)


def score(exercise: str, namespace: Mapping[str, Any]) -> None:
    """Print the score so far: every visible check of the exercise, run on the notebook's code.

    Never raises and returns None: the cell that calls it is locked and worth no points, and nbgrader's
    validate counts a locked cell that raises as a failure.
    """
    lang = chosen_lang()
    if os.environ.get(GRADED_ENV):
        print(ELSEWHERE.render(lang))
        return
    rows = []
    for entry in checks_for(exercise):
        try:
            result = run_check(entry, namespace_submission(exercise, namespace), Context())
            passed, got = result.passed, result.score
        except Exception:  # noqa: BLE001 - a score table must not fail the notebook
            passed, got = False, 0.0
        rows.append((entry.key, passed, got, entry.max_score))
    print(score_text(rows, lang))


def score_text(rows, lang: str, heading: tuple[str, str] = ("目前得分", "Score so far")) -> str:
    """The score table: (key, passed, points, max points) per check, under a total."""
    earned, total = sum(r[2] for r in rows), sum(r[3] for r in rows)
    lines = [f"  {'✓' if ok else '✗'} {key:<34} {points(got)} / {points(top)}" for key, ok, got, top in rows]
    head = tr(
        "{heading_1}: {points_earned} / {points_total}",
        heading_1=heading[1],
        points_earned=points(earned),
        points_total=points(total),
        heading_0=heading[0],
    )
    return "\n".join([head.render(lang).replace("\n", " / "), *lines])
