"""`blitz watch`: the current exercise is checked again every time one of its files is saved.

Standard library only: the files' modification times are polled (no inotify), keys are read with
``select`` from a terminal put in cbreak mode (one key at a time, no Enter needed, Ctrl-C still
works), and the whole screen is redrawn after every change. `h` shows the next hint (of the first
failing check), `r` runs the checks again, `q` quits. When the current exercise passes, the next unfinished one becomes current.

The checks run in a fresh child of the warm worker (:mod:`blitz.execution`), never in this process:
the screen stays responsive while they run (h, r and q work, a spinner names the running check),
a time-out or crash is shown as the check's failure, and a result is shown only if the files it was
computed on are still the ones on disk (their fingerprint before and after); a save while a check
runs cancels it and checks the new contents. What the student's code printed is shown in its own
box (first and last lines), so it does not scribble over the screen.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import time
from pathlib import Path

from blitz.course import registry
from blitz.course.hints import ladder
from blitz.course.i18n import Msg, current_lang, tr
from blitz.course.progress import bar
from blitz.course.registry import Exercise
from blitz.course.text import points as points_text
from blitz.engine.results import RunState
from blitz.student.paths import shown_path
from blitz.student.render import (
    ALL_DONE,
    OK_MARK,
    STATE_LABELS,
    STATE_MARKS,
    TODO_MARK,
    compare_with_reference,
    exercise_heading,
    first_failing,
    hint_heading,
    label,
    next_step,
    printed_block,
    result_lines,
    say,
    summary_line,
)
from blitz.student.standing import Course
from blitz.student.state import ExerciseStatus, course_totals, next_exercise

try:  # POSIX terminals; elsewhere watch still runs, and Ctrl-C quits
    import termios
    import tty
except ImportError:  # pragma: no cover - Windows
    termios = tty = None  # type: ignore[assignment]  # checked before use: no terminal modes here

CLEAR = "\x1b[H\x1b[2J\x1b[3J"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK = 0.2  # seconds between spinner frames while a check runs


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
        if self.saved is not None and self.fd is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None

    def read(self, timeout: float) -> str:
        """The keys pressed within `timeout` seconds ('' if none)."""
        if self.eof or self.fd is None:
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
        self.current: Exercise | None = None
        self.current_status: ExerciseStatus | None = None
        self.settled = False  # the current exercise's result is known (nothing left to run for it)
        self.event: Msg | None = None
        self.job: tuple[int, Exercise, str] | None = None  # (request id, exercise, fingerprint of its files)
        self.running = ""  # the check (and call) the child runs now, for the spinner
        self.started = 0.0

    # -- running ----------------------------------------------------------------------------

    def plan(self) -> None:
        """From what is known (nothing runs here): the current exercise; a run for it if its result
        is not known for the files on disk."""
        statuses = [self.course.status(e, mode="cached") for e in registry.EXERCISES]
        current = next_exercise(statuses)
        status = next((s for s in statuses if current and s.exercise.id == current.id), None)
        if status is not None and status.state == "unchecked":
            self.submit(current)
            return
        previous = self.current if self.settled else None
        self.statuses, self.current, self.current_status, self.settled = statuses, current, status, True
        if previous is not None and previous != current:
            done = next((s for s in statuses if s.exercise.id == previous.id), None)
            if done is not None and done.done:
                self.event = tr("{OK_MARK} {previous_id} passed!", OK_MARK=OK_MARK, previous_id=previous.id)
                for note in (r.note for r in done.results):  # the capstone's accuracy
                    if isinstance(note, Msg):
                        self.event += tr(" ({note_en})", note_en=note.en, note_zh=note.zh)
                if current is not None:
                    self.event += tr(" Next up: {current_id}.", current_id=current.id)
                self.event += compare_with_reference(previous, " ")

    def submit(self, exercise) -> None:
        if self.job is not None:
            if self.job[1] == exercise and self.job[2] == self.course.key(exercise):
                return  # already running on these very files
            self.course.engine.cancel(self.job[0])
        key = self.course.key(exercise)
        ident = self.course.engine.submit_exercise(self.folder, exercise.id, self.course.ctx)
        self.job, self.running, self.started = (ident, exercise, key), exercise.id, time.monotonic()

    def rerun(self) -> None:
        """`r`: the current exercise again, whatever is known."""
        if self.current is not None:
            self.course.forget(self.current.id)
            self.submit(self.current)

    def refresh(self, force: bool = False) -> None:
        """Check what is not known (`force`: the current exercise too) and wait for the results; the
        loop of :func:`watch` does not wait, it pumps between keys."""
        if force and self.current is not None:
            self.rerun()
        if self.job is None:
            self.plan()
        while self.job is not None:
            self.pump(0.5)

    def files_changed(self) -> None:
        if self.job is not None and self.course.key(self.job[1]) != self.job[2]:
            self.course.engine.cancel(self.job[0])  # its result would be for files that are gone
        self.plan()

    def pump(self, timeout: float) -> bool:
        """The worker's news within `timeout` seconds; True when a result came (redraw)."""
        if self.job is None:
            return False
        for event in self.course.engine.poll(timeout):
            if event.get("id") != self.job[0]:
                continue
            if event.get("event") == "running":
                self.running = event.get("call") or event.get("key") or self.running
            elif event.get("event") == "done":
                _, exercise, key = self.job
                self.job = None
                outcome = event["outcome"]  # a RunOutcome (Engine.poll)
                if outcome.state is not RunState.CANCELLED and self.course.key(exercise) == key:
                    self.course.accept(exercise, key, outcome)
                self.plan()
                return True
        return False

    # -- drawing ----------------------------------------------------------------------------

    def screen(self) -> str:
        lang = current_lang()
        width = shutil.get_terminal_size((100, 30)).columns
        done, required, earned = course_totals(self.statuses)
        lines = [
            label(
                tr(
                    "blitz watch — exercises in {shown_path_self_folder}",
                    shown_path_self_folder=shown_path(self.folder),
                ),
                lang,
            ),
            label(tr("Progress"), lang)
            + f" [{bar(done / max(required, 1), 28)}] "
            + label(
                tr(
                    "{done}/{required} exercises · {points_text_earned}/{registry_total_points} points",
                    done=done,
                    required=required,
                    points_text_earned=points_text(earned),
                    registry_total_points=registry.TOTAL_POINTS,
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
            lines.append(say(ALL_DONE + tr(" Press q to quit."), lang))
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
        if status is not None:
            lines += printed_block(self.course.printed.get(status.exercise.id), lang)
        if self.job is not None:
            lines += ["", self.spinner(lang)]
        lines += [
            "",
            "─" * min(width, 72),
            label(
                tr("Save a file to check again · h hint · r re-run · q quit"),
                lang,
            ),
        ]
        return "\n".join(lines)

    def spinner(self, lang: str | None = None) -> str:
        frame = SPINNER[int(time.monotonic() / TICK) % len(SPINNER)]
        seconds = time.monotonic() - self.started
        return (
            frame + " " + label(tr("checking {self_running}", self_running=self.running), lang) + f" ({seconds:.0f} s)"
        )

    def draw(self) -> None:
        if not self.settled:  # nothing to show yet: the first results are on their way
            first = say(tr("Checking your exercises... (q quits)"))
            self.stream.write(CLEAR + first + "\n" + self.spinner() + "\n")
        else:
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
    watcher = Watcher(folder, stream)
    live = getattr(stream, "isatty", lambda: False)()
    try:
        with Keys(keys_stream) as keys:
            if live:
                stream.write("\x1b[?25l")  # hide the cursor while the screen belongs to watch
            watcher.plan()
            watcher.draw()
            _loop(watcher, keys, folder, interval)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.course.close()  # the worker and any running child go
        if live:
            stream.write("\x1b[?25h")
    stream.write("\n" + say(tr("Bye! Run `blitz watch` any time to go on.")) + "\n")
    stream.flush()
    return 0


def _loop(watcher: Watcher, keys: Keys, folder: Path, interval: float) -> None:
    seen = snapshot(folder)
    looked = turned = time.monotonic()
    while True:
        busy = watcher.job is not None
        pressed = keys.read(TICK / 4 if busy else interval).lower()
        if "q" in pressed:
            return
        redraw = busy and time.monotonic() - turned >= TICK  # the spinner turns
        if "h" in pressed:
            watcher.next_hint()
            redraw = True
        if "r" in pressed:
            watcher.rerun()
            redraw = True
        if time.monotonic() - looked >= (min(interval, TICK) if busy else 0):
            looked = time.monotonic()
            now = snapshot(folder)
            if now != seen:
                seen = now
                watcher.files_changed()
                redraw = True
        if watcher.pump(TICK / 4 if busy else 0):
            redraw = True
        if redraw:
            watcher.draw()
            turned = time.monotonic()
