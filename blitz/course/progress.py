"""Every progress bar of the kit, drawn by tqdm: a training epoch's batches (`blitz report`), the
submissions of `blitz grade`, and the course's bar inside a line of text (`blitz watch`).

On a terminal tqdm redraws a bar in place. Elsewhere (a pipe, a CI log, a test) nothing is
redrawn: the same line, formatted by tqdm, is written whole, once at the end (:func:`epoch_bar`) or
once per step (:class:`SubmissionsProgress`), so logs hold readable lines rather than carriage returns.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from blitz.course.text import clip, points


def bar(fraction: float, width: int = 30) -> str:
    """tqdm's bar alone, `width` cells filled to `fraction` (clamped to [0, 1]), for a line of text."""
    fraction = min(max(float(fraction), 0.0), 1.0)
    return tqdm.format_meter(fraction, 1.0, 0.0, bar_format=f"{{bar:{width}}}")


class _Nowhere:
    """Where a bar draws off a terminal: its lines are written whole by :class:`Bar` instead."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def is_terminal(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def _unicode(stream) -> bool:
    """Whether `stream` can take tqdm's block characters (else it draws with '#')."""
    return "utf" in (getattr(stream, "encoding", None) or "").lower()


class Bar:
    """A tqdm bar on `stream` (default stderr); off a terminal, whole lines (see the module docstring).

    `every_step`: off a terminal, write the line after every step rather than once when closed.
    `bar_format` and the other keywords are tqdm's.
    """

    def __init__(
        self,
        total: int | None,
        desc: str = "",
        stream: TextIO | None = None,
        *,
        every_step: bool = False,
        **tqdm_options,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.live = is_terminal(self.stream)
        self.every_step = every_step
        self._closed = False
        # Off a terminal tqdm draws into nowhere, so it cannot tell which characters the stream takes.
        options = {"mininterval": 0.1, "dynamic_ncols": True, "leave": True, "ascii": not _unicode(self.stream)}
        options |= tqdm_options
        self.tqdm = tqdm(total=total, desc=desc, file=self.stream if self.live else _Nowhere(), **options)

    def update(self, steps: int = 1, postfix: str | None = None, desc: str | None = None) -> None:
        if postfix is not None:
            self.tqdm.set_postfix_str(postfix, refresh=False)
        if desc is not None:
            self.tqdm.set_description_str(desc, refresh=False)
        self.tqdm.update(steps)
        if not self.live and self.every_step:
            self._write_line()

    def line(self) -> str:
        """The bar as tqdm draws it now."""
        return tqdm.format_meter(**self.tqdm.format_dict)

    def _write_line(self) -> None:
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self.live and not self.every_step:
            self._write_line()
        self.tqdm.close()


def epoch_bar(total: int | None, epoch: int, epochs: int, stream: TextIO | None = None) -> Bar:
    """`epoch 1/2:  30%|███       | 30/100 [00:01<00:02, 21.0batch/s, loss 0.512]`, one step per batch."""
    return Bar(total, f"epoch {epoch}/{epochs}", stream, unit="batch")


class SubmissionsProgress:
    """`blitz grade`'s bar: one step per submission, with its student, score and the time left.

    The time left is reckoned from the submissions graded in this run only: the ones kept from an
    earlier run (`reused`) take no time. `enabled=False` (--no-progress) writes nothing.
    """

    TERMINAL = "[{bar:28}] {n_fmt}/{total_fmt}  {desc}  {elapsed} elapsed, ~{remaining} left"
    LOG = "[{n_fmt}/{total_fmt}] {desc} ({elapsed} elapsed, ~{remaining} left)"

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True):
        self.total = total
        self.done = 0
        self.graded = 0  # done minus the ones taken from an earlier run
        self.bar: Bar | None = None
        if enabled:
            stream = stream if stream is not None else sys.stderr
            # smoothing=0: the rate is (steps - initial) / elapsed, and `initial` counts the kept ones.
            fmt = self.TERMINAL if is_terminal(stream) else self.LOG
            self.bar = Bar(total, "", stream, every_step=True, bar_format=fmt, mininterval=0, miniters=1, smoothing=0)

    def advance(self, student: str, score: float, max_score: float, status: str, reused: bool = False) -> None:
        self.done += 1
        self.graded += not reused
        if self.bar is None:
            return
        note = " (kept / 沿用)" if reused else ("" if status == "graded" else f" ({status})")
        if self.bar.live:
            desc = f"{clip(student, 20)} {points(score)}/{points(max_score)}{note}"
        else:
            desc = f"{student} {points(score)}/{points(max_score)}{note}"
        if reused:
            self.bar.tqdm.initial += 1
        self.bar.update(1, desc=desc)
        if self.done == self.total:
            self.bar.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
