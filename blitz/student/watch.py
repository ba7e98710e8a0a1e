"""`blitz watch`: the current exercise is checked again every time one of its files is saved.

Standard library only: the files' modification times are polled (no inotify), keys are read with
``select`` from a terminal put in cbreak mode (one key at a time, no Enter needed, Ctrl-C still
works), and the whole screen is redrawn after every change. `h` shows the next hint (of the first
failing check), `r` runs the checks again, `q` quits. When the current exercise passes, the next unfinished one becomes current.

Output the student's code prints during a check is caught and shown in its own box, so it does
not scribble over the screen.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import shutil
import sys
import time
from pathlib import Path

from blitz.course import registry
from blitz.course.hints import ladder
from blitz.course.i18n import Msg, current_lang
from blitz.course.progress import bar
from blitz.course.text import points as points_text
from blitz.student.paths import shown_path
from blitz.student.render import (
    ALL_DONE,
    OK_MARK,
    STATE_LABELS,
    STATE_MARKS,
    TODO_MARK,
    exercise_heading,
    first_failing,
    hint_heading,
    label,
    next_step,
    result_lines,
    say,
    summary_line,
)
from blitz.student.state import Course, ExerciseStatus, course_totals, next_exercise

try:  # POSIX terminals; elsewhere watch still runs, and Ctrl-C quits
    import termios
    import tty
except ImportError:  # pragma: no cover - Windows
    termios = tty = None

CLEAR = "\x1b[H\x1b[2J\x1b[3J"
PRINTED_LINES = 12  # the last lines the student's code printed, shown under the results


class Keys:
    """Single key presses from stdin, without waiting for Enter; restores the terminal on exit."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.fd: int | None = None
        self.saved = None
        self.eof = False
        try:
            self.fd = self.stream.fileno()
        except (AttributeError, ValueError, OSError):  # no real stdin (e.g. pytest capture)
            self.eof = True

    def __enter__(self) -> Keys:
        if self.fd is not None and termios is not None and os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)  # keys arrive one by one; signals (Ctrl-C) still work
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None

    def read(self, timeout: float) -> str:
        """The keys pressed within `timeout` seconds ('' if none)."""
        if self.eof:
            time.sleep(timeout)
            return ""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return ""
        data = os.read(self.fd, 64)
        if not data:  # stdin closed (a pipe or /dev/null): keep watching files, stop reading keys
            self.eof = True
        return data.decode("utf-8", errors="ignore")


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Each exercise file's (mtime, size): a save changes at least one of them."""
    result = {}
    for path in sorted(folder.glob("*.py")):
        try:
            stat = path.stat()
        except OSError:  # deleted between glob and stat (editors save by rename)
            continue
        result[path.name] = (stat.st_mtime_ns, stat.st_size)
    return result


class Watcher:
    def __init__(self, folder: Path, stream=None):
        self.folder = folder
        self.stream = stream or sys.stdout
        self.course = Course(folder)
        self.statuses: list[ExerciseStatus] = []
        self.current = None
        self.current_status: ExerciseStatus | None = None
        self.event: Msg | None = None
        self.printed = ""

    # -- running ----------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """Re-check what changed (the course caches the rest by file content), then move on if done."""
        if force:
            self.course = Course(self.folder, state=self.course.state)
        previous = self.current
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            self.statuses = self.course.statuses()
            self.current = next_exercise(self.statuses)
            if self.current is not None and not self.current.has_module:
                self.draw_busy()
                status = self.course.status(self.current, run_capstone=True)
                self.statuses = [status if s.exercise.id == status.exercise.id else s for s in self.statuses]
                self.current = next_exercise(self.statuses)
        self.printed = captured.getvalue()
        self.current_status = next(
            (s for s in self.statuses if self.current and s.exercise.id == self.current.id), None
        )
        if previous is not None and previous != self.current:
            done = next((s for s in self.statuses if s.exercise.id == previous.id), None)
            if done is not None and done.done:
                self.event = Msg(f"{OK_MARK} {previous.id} 通过了！", f"{OK_MARK} {previous.id} passed!")
                for note in (r.note for r in done.results):  # the capstone's accuracy
                    if isinstance(note, Msg):
                        self.event += Msg(f"（{note.zh}）", f" ({note.en})")
                if self.current is not None:
                    self.event += Msg(f"下一个练习：{self.current.id}。", f" Next up: {self.current.id}.")

    def draw_busy(self) -> None:
        self.stream.write(
            CLEAR
            + say(
                Msg(
                    f"正在用你的代码在 MNIST 上训练并评估（{self.current.id}，多数电脑上不到一分钟）……",
                    f"Training and evaluating your code on MNIST ({self.current.id}, under a minute on most computers)...",
                )
            )
            + "\n"
        )
        self.stream.flush()

    # -- drawing ----------------------------------------------------------------------------

    def screen(self) -> str:
        lang = current_lang()
        width = shutil.get_terminal_size((100, 30)).columns
        done, required, earned = course_totals(self.statuses)
        lines = [
            label(
                Msg(
                    f"blitz watch — 练习文件夹 {shown_path(self.folder)}",
                    f"blitz watch — exercises in {shown_path(self.folder)}",
                ),
                lang,
            ),
            label(Msg("课程进度", "Progress"), lang)
            + f" [{bar(done / max(required, 1), 28)}] "
            + label(
                Msg(
                    f"{done}/{required} 个练习 · {points_text(earned)}/{registry.TOTAL_POINTS} 分",
                    f"{done}/{required} exercises · {points_text(earned)}/{registry.TOTAL_POINTS} points",
                ),
                lang,
            ),
            " ".join(f"{STATE_MARKS.get(s.state, TODO_MARK)}{s.exercise.id}" for s in self.statuses),
            "",
        ]
        if self.event is not None:
            lines += [say(self.event, lang), ""]
        status = self.current_status
        if status is None:
            lines.append(say(ALL_DONE + Msg("按 q 退出。", " Press q to quit."), lang))
        else:
            lines.append(f"▶ {exercise_heading(status.exercise, lang)}  [{label(STATE_LABELS[status.state], lang)}]")
            if status.results:
                lines += result_lines(status, lang, messages=1)
                lines.append(summary_line(status, lang))
            lines += ["", say(next_step(status, self.statuses, self.folder, self.course.state, watching=True), lang)]
            key = first_failing(status)
            rungs = ladder(key) if key else ()
            shown = self.course.state.hints_shown(key) if key else 0
            for number, hint in enumerate(rungs[:shown], 1):
                lines += ["", hint_heading(number, len(rungs), lang), say(hint, lang)]
        if self.printed.strip():
            tail = self.printed.rstrip().splitlines()[-PRINTED_LINES:]
            lines += ["", label(Msg("你的代码打印了：", "Your code printed:"), lang)] + ["  | " + t for t in tail]
        lines += [
            "",
            "─" * min(width, 72),
            label(
                Msg(
                    "保存文件就会重新检查 · h 提示 · r 重新运行 · q 退出",
                    "Save a file to check again · h hint · r re-run · q quit",
                ),
                lang,
            ),
        ]
        return "\n".join(lines)

    def draw(self) -> None:
        self.stream.write(CLEAR + self.screen() + "\n")
        self.stream.flush()

    # -- keys -------------------------------------------------------------------------------

    def next_hint(self) -> None:
        """One more rung of the first failing check's ladder (never a hint about a check that passed)."""
        key = first_failing(self.current_status) if self.current_status is not None else None
        if key is None:
            return
        state = self.course.state
        shown = state.hints_shown(key)
        if shown < len(ladder(key)):
            state.set_hints_shown(key, shown + 1)


def watch(folder: Path, interval: float = 0.3, stream=None, keys_stream=None) -> int:
    """Run until q (or Ctrl-C); 0 on a normal quit."""
    stream = stream or sys.stdout
    # No .pyc files while watching: a save within the same second as the last one, at the same size,
    # would otherwise let Python reuse stale bytecode.
    sys.dont_write_bytecode = True
    watcher = Watcher(folder, stream)
    live = getattr(stream, "isatty", lambda: False)()
    try:
        with Keys(keys_stream) as keys:
            if live:
                stream.write("\x1b[?25l")  # hide the cursor while the screen belongs to watch
            watcher.refresh()
            watcher.draw()
            seen = snapshot(folder)
            while True:
                pressed = keys.read(interval)
                if "q" in pressed.lower():
                    break
                redraw = False
                if "h" in pressed.lower():
                    watcher.next_hint()
                    redraw = True
                if "r" in pressed.lower():
                    watcher.refresh(force=True)
                    seen, redraw = snapshot(folder), True
                now = snapshot(folder)
                if now != seen:
                    seen = now
                    watcher.refresh()
                    redraw = True
                if redraw:
                    watcher.draw()
    except KeyboardInterrupt:
        pass
    finally:
        if live:
            stream.write("\x1b[?25h")
    stream.write(
        "\n" + say(Msg("再见！随时运行 `blitz watch` 继续。", "Bye! Run `blitz watch` any time to go on.")) + "\n"
    )
    stream.flush()
    return 0
