"""Progress bars with the standard library only: training batches (to stderr) and the course (in text).

On a terminal the training bar redraws itself in place with a carriage return; elsewhere (a pipe,
a CI log, a test) it prints one line when it closes, so logs hold a summary rather than hundreds
of partial bars.
"""

from __future__ import annotations

import sys
import time
import unicodedata
from typing import TextIO

FULL, EMPTY = "█", "░"


def bar(fraction: float, width: int = 30) -> str:
    """A bar of `width` cells, filled to `fraction` (clamped to [0, 1])."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = int(round(fraction * width))
    return FULL * filled + EMPTY * (width - filled)


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align to `width` terminal columns (str.ljust counts a Chinese character as one)."""
    return text + " " * max(0, width - display_width(text))


class ProgressBar:
    """`label [█████░░░░░] 12/100 loss 0.512` on stderr, advanced once per step."""

    def __init__(
        self,
        total: int | None,
        label: str = "",
        stream: TextIO | None = None,
        width: int = 30,
        min_interval: float = 0.1,
    ):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.count = 0
        self.postfix = ""
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._min_interval = min_interval
        self._live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._closed = False

    def update(self, steps: int = 1, postfix: str = "") -> None:
        self.count += steps
        if postfix:
            self.postfix = postfix
        now = time.monotonic()
        # Redrawing costs a write per batch; a tenth of a second between frames is smooth enough.
        if self._live and (now - self._drawn_at >= self._min_interval or self.count == self.total):
            self._drawn_at = now
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.stream.flush()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.total:
            body = f"[{bar(self.count / self.total, self.width)}] {self.count}/{self.total}"
        else:
            body = f"{self.count}"
        parts = [p for p in (self.label, body, self.postfix, f"{elapsed:.0f}s") if p]
        return " ".join(parts)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.stream.write(("\r" if self._live else "") + self.line() + ("\x1b[K" if self._live else "") + "\n")
        self.stream.flush()


def term_safe(text: str) -> str:
    """A name (a student's folder, say) as a terminal may print it: control, format and separator
    characters (escape sequences, bidi overrides, newlines) are shown escaped, never obeyed."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
