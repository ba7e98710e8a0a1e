"""Text in a terminal, where a Chinese character takes two columns: its width, padding, clipping.

The progress bars are in :mod:`blitz.course.progress`."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align to `width` terminal columns (str.ljust counts a Chinese character as one)."""
    return text + " " * max(0, width - display_width(text))


def clip(text: str, width: int) -> str:
    """The longest start of `text` that fits in `width` terminal columns (a Chinese character takes two)."""
    used = 0
    for i, ch in enumerate(text):
        used += display_width(ch)
        if used > width:
            return text[:i]
    return text


def points(value: float) -> str:
    """Points as a student or instructor reads them: at most two decimals, no trailing zeros (3.33, 15)."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
