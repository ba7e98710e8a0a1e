"""What the student reads: one language or both, marks, each check's result, and what to do next.

Shared by `blitz list`, `check`, `hint`, `watch`, `doctor` and `report`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from blitz.course.hints import first_check, ladder
from blitz.course.i18n import Msg, current_lang
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
    Standing.NOT_STARTED: Msg("未开始", "not started"),
    Standing.FAILING: Msg("未通过", "failing"),
    Standing.DONE: Msg("已完成", "done"),
    Standing.MISSING: Msg("缺少文件", "file missing"),
    Standing.NO_DATA: Msg("缺少 MNIST", "needs MNIST"),
    Standing.UNCHECKED: Msg("还没检查", "not checked yet"),
}
STATE_MARKS = {
    Standing.DONE: OK_MARK,
    **dict.fromkeys((Standing.FAILING, Standing.MISSING, Standing.NO_DATA), FAIL_MARK),
}
ALL_DONE = Msg(
    f"{OK_MARK} 全部完成！运行 `blitz report` 看看你的模型学到了什么：损失曲线和分错的数字。",
    f"{OK_MARK} Everything is done! Run `blitz report` to see what your model learned: the loss curve and the misclassified digits.",
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


SAME_AS_ABOVE = Msg("（同上）", "(the same as above)")
PRINTED = Msg("你的代码打印了：", "Your code printed:")


def printed_block(printed: dict | None, lang: str | None = None) -> list[str]:
    """What the student's code printed while it was checked: the first and last lines, the rest counted."""
    from blitz.execution.output import printed_lines

    lines = printed_lines(printed, lang=lang or current_lang())
    return ["", label(PRINTED, lang)] + lines if lines else []


def summary_line(status: ExerciseStatus, lang: str | None = None) -> str:
    total = len(status.results)
    exercise_points = status.exercise.points
    return label(
        Msg(
            f"{status.passed_count}/{total} 项检查通过 · {points_text(status.score)}/{exercise_points} 分",
            f"{status.passed_count}/{total} checks passed · {points_text(status.score)}/{exercise_points} points",
        ),
        lang,
    )


def exercise_heading(exercise: Exercise, lang: str | None = None) -> str:
    optional = " (" + label(Msg("选做", "optional"), lang) + ")" if exercise.optional else ""
    return f"{exercise.id} — {label(exercise.title, lang)}{optional}"


def hint_heading(number: int, total: int, lang: str | None = None) -> str:
    """`Hint 2 of 3:` above a hint."""
    return label(Msg(f"提示 {number}/{total}", f"Hint {number} of {total}"), lang) + ":"


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
        return Msg(
            f"`{hint} --all` 再看一遍这项检查的所有提示",
            f"`{hint} --all` shows every hint of this check again",
        )
    return Msg(
        f"`{hint}`（第 {shown + 1}/{total} 条提示）",
        f"`{hint}` (hint {shown + 1} of {total})",
    )


def compare_with_reference(exercise, sep: str = "\n") -> Msg:
    """After a pass, where the reference solution is to compare with (a class release ships none)."""
    if in_release() or not exercise.has_module or not exercise.solution_path.is_file():
        return Msg("", "")
    where = shown_path(exercise.solution_path)
    return Msg(
        f"{sep}想对照参考答案？它在 {where}。",
        f"{sep}Want to compare? The reference solution is in {where}.",
    )


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
        return Msg(
            f"{exercise.id} 完成了！下一步：`{check}`（{where.zh}）。",
            f"{exercise.id} is done! Next: `{check}` ({where.en}).",
        ) + compare_with_reference(exercise)
    if status.note:  # a missing file, no MNIST, the capstone not run yet or waiting for its inputs
        return status.note
    where = where_to_work(folder, exercise)
    key = first_failing(status)
    shown = state.hints_shown(key) if key else 0
    untouched = status.state is Standing.NOT_STARTED  # still the stubs; otherwise some check fails
    if watching:
        hint = (
            Msg("按 h 看提示", "press h for a hint")
            if key and shown < len(ladder(key))
            else Msg("提示都在下面了", "every hint is shown below")
        )
        again = (
            Msg("，然后保存：检查会自动重新运行", " and save: the checks run again by themselves")
            if untouched
            else Msg("，保存后会自动重新检查", " and save: the checks run again")
        )
    else:
        hint = hints_left_text(exercise, key, shown, folder)
        check, watch = command(f"blitz check {exercise.id}", folder), command("blitz watch", folder)
        again = (
            Msg(
                f"，再运行 `{check}`（或者用 `{watch}`，保存就会重新检查）",
                f", then run `{check}` again (or `{watch}`, which re-checks on every save)",
            )
            if untouched
            else Msg(f"，然后再运行 `{check}`", f", then run `{check}` again")
        )
    if untouched:
        return Msg(
            f"打开 {where.zh}，把每个 `raise NotImplementedError(...)` 换成你的代码{again.zh}。卡住了？{hint.zh}。",
            f"Open {where.en}, replace each `raise NotImplementedError(...)` with your code{again.en}. Stuck? {hint.en}.",
        )
    report = (
        Msg(
            " `blitz report` 会画出损失曲线和分错的数字。",
            " `blitz report` draws the loss curve and the misclassified digits.",
        )
        if not exercise.has_module
        else Msg("", "")
    )
    return (
        Msg(
            f"从上面第一个 {FAIL_MARK} 改起（{where.zh}）{again.zh}。卡住了？{hint.zh}。",
            f"Fix the first {FAIL_MARK} above ({where.en}){again.en}. Stuck? {hint.en}.",
        )
        + report
    )
