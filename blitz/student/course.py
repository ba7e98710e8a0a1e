"""Where a student stands: each exercise's state, what to do next, and the words for both.

Shared by `blitz list`, `check`, `hint`, `watch` and `report` (blitz/student/cli.py, blitz/student/watch.py).
The states (not started, failing, done, file missing, needs MNIST, not checked yet) are
:class:`blitz.engine.results.Standing`, derived from an exercise's :class:`ExerciseResult`.

The capstone's result is kept in the folder's state file, keyed by a hash of the four files it
runs (and the training budget), so `blitz list` can show it without training again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blitz.course import registry
from blitz.course.i18n import Msg, current_lang
from blitz.course.registry import PIPELINE_INPUTS, Exercise
from blitz.engine.results import ExerciseResult, Standing, Status

DEFAULT_FOLDER = registry.ROOT / "exercises"
STATE_DIR = ".blitz"  # inside the exercises folder; gitignored (.gitignore has `.blitz/`)

OK_MARK, FAIL_MARK, TODO_MARK = "✓", "✗", "·"


# --- words ------------------------------------------------------------------------------------


def say(msg: Msg, lang: str | None = None) -> str:
    """A paragraph for the student: one language, or Chinese then English for `both`."""
    return msg.render(lang or current_lang())


def label(msg: Msg, lang: str | None = None) -> str:
    """A short label inside a line: `both` puts the two side by side."""
    lang = lang or current_lang()
    return f"{msg.zh} / {msg.en}" if lang == "both" else msg.render(lang)


def out(msg: Msg | str = "", lang: str | None = None, stream=None) -> None:
    print(msg if isinstance(msg, str) else say(msg, lang), file=stream or sys.stdout, flush=True)


def readable_streams() -> None:
    """Never die on a terminal that cannot show a character: show a replacement instead."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
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


class UsageProblem(Exception):
    """Bad input from the command line: shown as a message, never as a traceback."""

    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(msg.en)


# --- where the work is ------------------------------------------------------------------------


def resolve_folder(value: str | os.PathLike | None) -> Path:
    """The student's exercises folder: --submission, relative to here or to the kit; default exercises/."""
    if value is None:
        return DEFAULT_FOLDER
    given = Path(value).expanduser()
    for base in (Path.cwd(), registry.ROOT):
        path = (base / given).resolve()
        if path.is_dir():
            return path
    raise UsageProblem(
        Msg(
            f"找不到文件夹 {value}：--submission 要指向放着练习文件（tensors.py 等）的文件夹。",
            f"There is no folder {value}: --submission must point at the folder holding the exercise files (tensors.py, ...).",
        )
    )


def get_exercise(exercise_id: str) -> Exercise:
    try:
        return registry.get(exercise_id)
    except KeyError:
        ids = ", ".join(e.id for e in registry.EXERCISES)
        raise UsageProblem(
            Msg(
                f"没有叫 {exercise_id!r} 的练习。可选：{ids}",
                f"There is no exercise {exercise_id!r}. Choose one of: {ids}",
            )
        ) from None


def shown_path(path: Path) -> str:
    """A path as the student would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def exercise_file(folder: Path, exercise: Exercise) -> Path:
    return folder / f"{exercise.id}.py"


def where_to_work(folder: Path, exercise: Exercise) -> Msg:
    if exercise.has_module:
        path = shown_path(exercise_file(folder, exercise))
        return Msg(path, path)
    files = ", ".join(f"{i}.py" for i in PIPELINE_INPUTS)
    return Msg(f"你的 {files}", f"your {files}")


# --- the state file ---------------------------------------------------------------------------


class State:
    """Small per-folder memory: hints shown per exercise, the capstone's last result."""

    def __init__(self, folder: Path):
        self.path = folder / STATE_DIR / "state.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or broken: start afresh rather than fail
            data = {}
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def _table(self, name: str) -> dict:
        """The dict kept under `name`; a missing or malformed one (say `"hints": []`) becomes empty."""
        table = self.data.get(name)
        if not isinstance(table, dict):
            table = self.data[name] = {}
        return table

    def hints_shown(self, exercise_id: str) -> int:
        value = self._table("hints").get(exercise_id, 0)
        return value if isinstance(value, int) and value >= 0 else 0

    def set_hints_shown(self, exercise_id: str, count: int) -> None:
        self._table("hints")[exercise_id] = count
        self.save()

    def cached(self, key: str, fingerprint: str) -> ExerciseResult | None:
        """The result remembered for `key` with this fingerprint; None if there is none (or it is unreadable)."""
        entry = self._table("results").get(key)
        if not isinstance(entry, dict) or entry.get("fingerprint") != fingerprint:
            return None
        try:
            return ExerciseResult.from_json(entry["result"])
        except (KeyError, TypeError, ValueError, AttributeError):  # a file from an older kit, or edited
            return None

    def remember(self, key: str, fingerprint: str, result: ExerciseResult) -> None:
        self._table("results")[key] = {"fingerprint": fingerprint, "result": result.to_json()}
        self.save()

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)  # atomic: a crash never leaves half a file
        except OSError:  # a read-only folder: hints still work, they are just not remembered
            pass


# --- states -----------------------------------------------------------------------------------


@dataclass
class ExerciseStatus:
    """An exercise of the course and its result: where the student stands in it."""

    exercise: Exercise
    result: ExerciseResult

    @classmethod
    def given(cls, exercise: Exercise, standing: Standing, note: Msg) -> ExerciseStatus:
        """No check decides it: a missing file, the capstone waiting for its inputs or not run yet."""
        return cls(exercise, ExerciseResult(exercise.id, given=standing, note=note))

    @property
    def state(self) -> Standing:
        return self.result.standing

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def done(self) -> bool:
        return self.state is Standing.DONE


def fingerprint(folder: Path, exercise: Exercise, extra: str = "") -> str:
    """A hash of the file(s) an exercise's checks run: a saved change gives a new one."""
    names = [exercise.id] if exercise.has_module else list(PIPELINE_INPUTS)
    digest = hashlib.sha256(extra.encode())
    for name in names:
        path = folder / f"{name}.py"
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


class Course:
    """Runs the checks of a folder's exercises, re-running only what changed since the last time."""

    def __init__(self, folder: Path, ctx=None, state: State | None = None):
        from blitz.checks import Context

        self.folder = folder
        self.ctx = ctx or Context()
        self.state = state or State(folder)
        self._memo: dict[str, tuple[str, ExerciseStatus]] = {}

    def _extra(self, exercise: Exercise) -> str:
        # The capstone's verdict depends on the training budget too; others only on the code.
        if exercise.has_module:
            return ""
        return f"epochs={self.ctx.epochs};seed={self.ctx.seed};device={self.ctx.device}"

    def status(self, exercise: Exercise, run_capstone: bool = False) -> ExerciseStatus:
        key = fingerprint(self.folder, exercise, self._extra(exercise))
        memo = self._memo.get(exercise.id)
        if memo and memo[0] == key and (memo[1].state is not Standing.UNCHECKED or not run_capstone):
            return memo[1]
        if exercise.has_module and not exercise_file(self.folder, exercise).is_file():
            status = ExerciseStatus.given(
                exercise,
                Standing.MISSING,
                Msg(
                    f"{shown_path(exercise_file(self.folder, exercise))} 不存在。运行 `blitz reset {exercise.id}` 取回原始练习文件。",
                    f"{shown_path(exercise_file(self.folder, exercise))} does not exist. Run `blitz reset {exercise.id}` to get the original stub back.",
                ),
            )
        elif not exercise.has_module and not run_capstone:
            status = self._capstone_without_running(exercise, key)
        else:
            status = self.run(exercise)
            if not exercise.has_module:
                self.state.remember(exercise.id, key, status.result)
        self._memo[exercise.id] = (key, status)
        return status

    def _capstone_without_running(self, exercise: Exercise, key: str) -> ExerciseStatus:
        cached = self.state.cached(exercise.id, key)
        if cached and cached.standing in (Standing.DONE, Standing.FAILING):
            return ExerciseStatus(exercise, cached)
        waiting = [e for e in PIPELINE_INPUTS if not self.status(registry.get(e)).done]
        if waiting:
            names = ", ".join(waiting)
            return ExerciseStatus.given(
                exercise, Standing.NOT_STARTED, Msg(f"先完成 {names}。", f"Finish {names} first.")
            )
        return ExerciseStatus.given(
            exercise,
            Standing.UNCHECKED,
            Msg(
                f"运行 `blitz check {exercise.id}`：用你的代码在 MNIST 上训练并评估（大约一分钟）。",
                f"Run `blitz check {exercise.id}`: it trains and evaluates your code on MNIST (about a minute).",
            ),
        )

    def run(self, exercise: Exercise) -> ExerciseStatus:
        """Run every check of one exercise on a fresh load of the student's files."""
        from blitz.checks import checks_for, run_check
        from blitz.probes.local import LocalSubmission, clear_module_cache

        clear_module_cache()
        sub = LocalSubmission(self.folder)
        results = []
        for entry in checks_for(exercise.id):
            result = run_check(entry, sub, self.ctx)
            if result.status is Status.NO_DATA:  # the checks before it stand; the note says how to get MNIST
                return ExerciseStatus(exercise, ExerciseResult(exercise.id, results, Standing.NO_DATA, result.message))
            results.append(result)
        return ExerciseStatus(exercise, ExerciseResult(exercise.id, results))

    def statuses(self, run_capstone: bool = False) -> list[ExerciseStatus]:
        return [self.status(e, run_capstone) for e in registry.EXERCISES]


def course_totals(statuses: list[ExerciseStatus]) -> tuple[int, int, float]:
    """(required exercises done, required exercises, points earned in all exercises)."""
    required = [s for s in statuses if not s.exercise.optional]
    return sum(s.done for s in required), len(required), sum(s.score for s in statuses)


def next_exercise(statuses: list[ExerciseStatus]) -> Exercise | None:
    """The first required exercise not done, then the optional ones; None when all are done."""
    for optional in (False, True):
        for status in statuses:
            if status.exercise.optional == optional and not status.done:
                return status.exercise
    return None


# --- what to print ----------------------------------------------------------------------------


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def result_lines(status: ExerciseStatus, lang: str | None = None, messages: int | None = None) -> list[str]:
    """One line per check, each failure's message under it (the first `messages` of them).

    A stub's NotImplementedError reads the same for every check: it is shown once, under the first.
    """
    lang = lang or current_lang()
    lines: list[str] = []
    shown, stub_told = 0, False
    for result in status.result.checks:
        mark = OK_MARK if result.passed else (TODO_MARK if result.status is Status.NOT_DONE else FAIL_MARK)
        lines.append(f"  {mark} {label(result.title, lang)}")
        if result.passed or result.message is None:
            continue
        if result.status is Status.NOT_DONE and stub_told:
            continue
        if messages is not None and shown >= messages:
            continue
        stub_told = stub_told or result.status is Status.NOT_DONE
        shown += 1
        lines.append(indent(say(result.message, lang), "      "))
    return lines


def summary_line(status: ExerciseStatus, lang: str | None = None) -> str:
    total = len(status.result.checks)
    points = status.exercise.points
    return label(
        Msg(
            f"{status.result.passed_count}/{total} 项检查通过 · {status.score:.4g}/{points} 分",
            f"{status.result.passed_count}/{total} checks passed · {status.score:.4g}/{points} points",
        ),
        lang,
    )


def exercise_heading(exercise: Exercise, lang: str | None = None) -> str:
    optional = " (" + label(Msg("选做", "optional"), lang) + ")" if exercise.optional else ""
    return f"{exercise.id} — {label(exercise.title, lang)}{optional}"


def hint_heading(number: int, total: int, lang: str | None = None) -> str:
    """`Hint 2 of 3:` above a hint."""
    return label(Msg(f"提示 {number}/{total}", f"Hint {number} of {total}"), lang) + ":"


def hints_left_text(exercise: Exercise, shown: int) -> Msg:
    if shown >= len(exercise.hints):
        return Msg(
            f"`blitz hint {exercise.id} --all` 再看一遍所有提示",
            f"`blitz hint {exercise.id} --all` shows every hint again",
        )
    return Msg(
        f"`blitz hint {exercise.id}`（第 {shown + 1}/{len(exercise.hints)} 条提示）",
        f"`blitz hint {exercise.id}` (hint {shown + 1} of {len(exercise.hints)})",
    )


def next_step(
    status: ExerciseStatus, statuses: list[ExerciseStatus], folder: Path, state: State, watching: bool = False
) -> Msg:
    """What to do now, after a check of `status` (`watching`: in `blitz watch`, where saving re-checks)."""
    exercise = status.exercise
    if status.done:
        following = next_exercise(statuses)
        if following is None:
            return ALL_DONE
        return Msg(
            f"{exercise.id} 完成了！下一步：`blitz check {following.id}`（{where_to_work(folder, following).zh}）。",
            f"{exercise.id} is done! Next: `blitz check {following.id}` ({where_to_work(folder, following).en}).",
        )
    if status.result.note:  # a missing file, no MNIST, the capstone not run yet or waiting for its inputs
        return status.result.note
    where = where_to_work(folder, exercise)
    shown = state.hints_shown(exercise.id)
    untouched = status.state is Standing.NOT_STARTED  # still the stubs; otherwise some check fails
    if watching:
        hint = (
            Msg("按 h 看提示", "press h for a hint")
            if shown < len(exercise.hints)
            else Msg("提示都在下面了", "every hint is shown below")
        )
        again = (
            Msg("，然后保存：检查会自动重新运行", " and save: the checks run again by themselves")
            if untouched
            else Msg("，保存后会自动重新检查", " and save: the checks run again")
        )
    else:
        hint = hints_left_text(exercise, shown)
        again = (
            Msg(
                f"，再运行 `blitz check {exercise.id}`（或者用 `blitz watch`，保存就会重新检查）",
                f", then run `blitz check {exercise.id}` again (or `blitz watch`, which re-checks on every save)",
            )
            if untouched
            else Msg(f"，然后再运行 `blitz check {exercise.id}`", f", then run `blitz check {exercise.id}` again")
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
