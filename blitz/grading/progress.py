"""A progress bar on stderr (stdlib only): one redrawn line on a terminal, one line per
submission when stderr is a file or a CI log (no carriage-return noise there)."""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


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
        self._last_len = 0

    def advance(self, student: str, score: float, max_score: float, status: str, reused: bool = False) -> None:
        self.done += 1
        if not reused:
            self.graded += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        rate = elapsed / self.graded if self.graded else 0.0
        eta = rate * (self.total - self.done)
        note = " (kept / 沿用)" if reused else ("" if status == "graded" else f" ({status})")
        if self.tty:
            filled = int(self.width * self.done / max(1, self.total))
            bar = "#" * filled + "-" * (self.width - filled)
            line = (f"[{bar}] {self.done}/{self.total}  {student[:20]} {score:.1f}/{max_score:.0f}{note}  "
                    f"{_clock(elapsed)} elapsed, ~{_clock(eta)} left")
            pad = " " * max(0, self._last_len - len(line))
            self.stream.write("\r" + line + pad)
            self._last_len = len(line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {student} {score:.2f}/{max_score:.2f}{note} "
                              f"({_clock(elapsed)} elapsed, ~{_clock(eta)} left)\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.done != self.total:
            self.stream.write("\n")
            self.stream.flush()
