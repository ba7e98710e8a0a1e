"""What the student reads: one language or both, marks, each check's result, and what to do next.

Shared by `blitz list`, `check`, `hint`, `watch`, `doctor` and `report`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from blitz.course.hints import first_check, ladder
from blitz.course.i18n import Msg, current_lang, tr
from blitz.course.registry import Exercise
from blitz.course.text import points as points_text
from blitz.engine.results import Standing, Status
from blitz.student.paths import command, file_to_work_on, in_release, shown_path, where_to_work
from blitz.student.state import ExerciseStatus, State, next_exercise

OK_MARK, FAIL_MARK, TODO_MARK = "✓", "✗", "·"


def say(msg: Msg, lang: str | None = None) -> str:
    """A paragraph for the student: one language, or Chinese then English for `both`."""
    return msg.render(lang or current_lang())


def label(msg: Msg, lang: str | None = None) -> str:
    """A short label inside a line: `both` puts the two side by side (once when they are the same
    text, nothing when both are empty)."""
    lang = lang or current_lang()
    if lang != "both":
        return msg.render(lang)
    return msg.zh if msg.zh == msg.en else f"{msg.zh} / {msg.en}"


def out(msg: Msg | str = "", lang: str | None = None, stream=None) -> None:
    print(msg if isinstance(msg, str) else say(msg, lang), file=stream or sys.stdout, flush=True)


def readable_streams() -> None:
    """Never die on a terminal that cannot show a character: show a replacement instead."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]  # when it has it: caught below
        except (AttributeError, ValueError):  # replaced or detached streams (pytest capture, pipes)
            pass


STATE_LABELS: dict[Standing, Msg] = {
    Standing.NOT_STARTED: tr("not started"),
    Standing.FAILING: tr("failing"),
    Standing.DONE: tr("done"),
    Standing.MISSING: tr("file missing"),
    Standing.NO_DATA: tr("needs MNIST"),
    Standing.UNCHECKED: tr("not checked yet"),
}
STATE_MARKS = {
    Standing.DONE: OK_MARK,
    **dict.fromkeys((Standing.FAILING, Standing.MISSING, Standing.NO_DATA), FAIL_MARK),
}
ALL_DONE = tr(
    "{OK_MARK} Everything is done! Run `blitz report` to see what your model learned: the loss curve and the misclassified digits.",
    OK_MARK=OK_MARK,
)


# --- what to print ----------------------------------------------------------------------------


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def result_lines(status: ExerciseStatus, lang: str | None = None, messages: int | None = None) -> list[str]:
    """One line per check, each failure's message under it (the first `messages` of them).

    A stub's NotImplementedError reads the same for every check: it is shown once, under the first.
    """
    lang = lang or current_lang()
    lines: list[str] = []
    shown, stub_told, told = 0, False, set()
    for result in status.results:
        mark = OK_MARK if result.passed else (TODO_MARK if result.status is Status.NOT_DONE else FAIL_MARK)
        lines.append(f"  {mark} {label(result.title, lang)}")
        if result.passed and result.note is not None:  # the capstone's accuracy
            lines.append(indent(say(result.note, lang), "      "))
        if result.passed or result.message is None:
            continue
        if result.status is Status.NOT_DONE and stub_told:
            continue
        text = say(result.message, lang)
        if text in told:  # a syntax error, a hang at import: once, not once per check
            lines.append("      " + label(SAME_AS_ABOVE, lang))
            continue
        if messages is not None and shown >= messages:
            continue
        stub_told = stub_told or result.status is Status.NOT_DONE
        shown += 1
        told.add(text)
        lines.append(indent(text, "      "))
    return lines


SAME_AS_ABOVE = tr("(the same as above)")
PRINTED = tr("Your code printed:")


def printed_block(printed: dict | None, lang: str | None = None) -> list[str]:
    """What the student's code printed while it was checked: the first and last lines, the rest counted."""
    from blitz.execution.output import printed_lines

    lines = printed_lines(printed, lang=lang or current_lang())
    return ["", label(PRINTED, lang)] + lines if lines else []


def summary_line(status: ExerciseStatus, lang: str | None = None) -> str:
    total = len(status.results)
    exercise_points = status.exercise.points
    return label(
        tr(
            "{status_passed_count}/{total} checks passed · {points_text_status_score}/{exercise_points} points",
            status_passed_count=status.passed_count,
            total=total,
            points_text_status_score=points_text(status.score),
            exercise_points=exercise_points,
        ),
        lang,
    )


def exercise_heading(exercise: Exercise, lang: str | None = None) -> str:
    optional = " (" + label(tr("optional"), lang) + ")" if exercise.optional else ""
    return f"{exercise.id} — {label(exercise.title, lang)}{optional}"


def hint_heading(number: int, total: int, lang: str | None = None) -> str:
    """`Hint 2 of 3:` above a hint."""
    return label(tr("Hint {number} of {total}", number=number, total=total), lang) + ":"


def first_failing(status: ExerciseStatus) -> str | None:
    """The key of the first check that fails (its ladder is the one to show); None when all pass.

    Before anything has run (the capstone not checked yet, a missing file) it is the first check.
    """
    for result in status.results:
        if not result.passed:
            return result.key
    return None if status.results or status.done else first_check(status.exercise.id)


def hints_left_text(exercise: Exercise, key: str | None, shown: int, folder: Path | None = None) -> Msg:
    total = len(ladder(key)) if key else 0
    hint = command(f"blitz hint {exercise.id}", folder)
    if shown >= total:
        return tr("`{hint} --all` shows every hint of this check again", hint=hint)
    return tr("`{hint}` (hint {shown_1} of {total})", hint=hint, shown_1=shown + 1, total=total)


def compare_with_reference(exercise, sep: str = "\n") -> Msg:
    """After a pass, where the reference solution is to compare with (a class release ships none)."""
    if in_release() or not exercise.has_module or not exercise.solution_path.is_file():
        return Msg("", "")
    where = shown_path(exercise.solution_path)
    return tr("{sep}Want to compare? The reference solution is in {where}.", sep=sep, where=where)


def next_step(
    status: ExerciseStatus, statuses: list[ExerciseStatus], folder: Path, state: State, watching: bool = False
) -> Msg:
    """What to do now, after a check of `status` (`watching`: in `blitz watch`, where saving re-checks)."""
    exercise = status.exercise
    if status.done:
        following = next_exercise(statuses)
        if following is None:
            return ALL_DONE + compare_with_reference(exercise)
        check, where = command(f"blitz check {following.id}", folder), file_to_work_on(folder, following)
        return tr(
            "{exercise_id} is done! Next: `{check}` ({where_en}).",
            exercise_id=exercise.id,
            check=check,
            where_en=where.en,
            where_zh=where.zh,
        ) + compare_with_reference(exercise)
    if status.note:  # a missing file, no MNIST, the capstone not run yet or waiting for its inputs
        return status.note
    where = where_to_work(folder, exercise)
    key = first_failing(status)
    shown = state.hints_shown(key) if key else 0
    untouched = status.state is Standing.NOT_STARTED  # still the stubs; otherwise some check fails
    if watching:
        hint = tr("press h for a hint") if key and shown < len(ladder(key)) else tr("every hint is shown below")
        again = (
            tr(" and save: the checks run again by themselves") if untouched else tr(" and save: the checks run again")
        )
    else:
        hint = hints_left_text(exercise, key, shown, folder)
        check, watch = command(f"blitz check {exercise.id}", folder), command("blitz watch", folder)
        again = (
            tr(", then run `{check}` again (or `{watch}`, which re-checks on every save)", check=check, watch=watch)
            if untouched
            else tr(", then run `{check}` again", check=check)
        )
    if untouched:
        return tr(
            "Open {where_en}, replace each `raise NotImplementedError(...)` with your code{again_en}. Stuck? {hint_en}.",
            where_en=where.en,
            again_en=again.en,
            hint_en=hint.en,
            where_zh=where.zh,
            again_zh=again.zh,
            hint_zh=hint.zh,
        )
    report = (
        tr(" `blitz report` draws the loss curve and the misclassified digits.")
        if not exercise.has_module
        else Msg("", "")
    )
    return (
        tr(
            "Fix the first {FAIL_MARK} above ({where_en}){again_en}. Stuck? {hint_en}.",
            FAIL_MARK=FAIL_MARK,
            where_en=where.en,
            again_en=again.en,
            hint_en=hint.en,
            where_zh=where.zh,
            again_zh=again.zh,
            hint_zh=hint.zh,
        )
        + report
    )
