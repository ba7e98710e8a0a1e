"""A progress bar on stderr (stdlib only): one redrawn line on a terminal, one line per
submission when stderr is a file or a CI log (no carriage-return noise there)."""

from __future__ import annotations

import sys
import time

from blitz.course.text import bar, display_width
from blitz.grading.names import terminal


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def clip(text: str, width: int) -> str:
    """The longest start of `text` that fits in `width` terminal columns (a Chinese character takes two)."""
    used = 0
    for i, ch in enumerate(text):
        used += display_width(ch)
        if used > width:
            return text[:i]
    return text


class Progress:
    def __init__(self, total: int, stream=None, enabled: bool = True, width: int = 28):
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.width = width
        self.done = 0
        self.graded = 0  # done minus the ones taken from an earlier run
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, student: str, score: float, max_score: float, status: str, reused: bool = False) -> None:
        self.done += 1
        if not reused:
            self.graded += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        rate = elapsed / self.graded if self.graded else 0.0
        eta = rate * (self.total - self.done)
        student = terminal(student)  # a folder name may hold a newline or an escape sequence
        note = " (kept / 沿用)" if reused else ("" if status == "graded" else f" ({terminal(status)})")
        if self.tty:
            line = (
                f"[{bar(self.done / max(1, self.total), self.width)}] {self.done}/{self.total}  "
                f"{clip(student, 20)} {score:.1f}/{max_score:.0f}{note}  "
                f"{_clock(elapsed)} elapsed, ~{_clock(eta)} left"
            )
            self.stream.write("\r" + line + "\x1b[K")  # the rest of a longer previous line is cleared
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(
                f"[{self.done}/{self.total}] {student} {score:.2f}/{max_score:.2f}{note} "
                f"({_clock(elapsed)} elapsed, ~{_clock(eta)} left)\n"
            )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.done != self.total:
            self.stream.write("\n")
            self.stream.flush()
