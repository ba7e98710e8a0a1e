"""Text in a terminal, where a Chinese character takes two columns: its width, padding, clipping;
and the kit's one sanitizer, :func:`clean`, through which every text a student controls passes before
it is shown or stored (terminal lines, CSV cells, JUnit XML, results.json, the class report): escape
sequences removed, control and format characters (bidi overrides, zero-width ones) replaced.

The progress bars are in :mod:`blitz.course.progress`."""

from __future__ import annotations

import re
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


_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte CSI
)


def unsafe_char(ch: str, keep: str = "") -> bool:
    if ch in keep:
        return False
    category = unicodedata.category(ch)
    # Cc: control characters (C0, DEL, C1); Cf: format characters, among them the bidi overrides
    # that reorder what a terminal shows; Cs: lone surrogates, which no UTF-8 file can hold.
    return category in ("Cc", "Cf", "Cs") or ch in ("\u2028", "\u2029", "\ufffe", "\uffff")


def clean(text: str, keep: str = "", replacement: str = "?") -> str:
    """text without escape sequences, and with every other control or format character (except
    those in keep) replaced."""
    text = _ESCAPES.sub("", str(text))
    if text.isprintable():
        return text
    return "".join(replacement if unsafe_char(ch, keep) else ch for ch in text)


def clean_tree(value, keep: str = "\n\t"):
    """A JSON-like tree (dicts, lists, strings, numbers) with every string, keys included, passed
    through :func:`clean` (line breaks and tabs kept by default): for results.json and the like,
    where ``json.dumps`` would write a control character as ``\\u001b`` and a bidi override as is."""
    if isinstance(value, str):
        return clean(value.replace("\r\n", "\n"), keep=keep)
    if isinstance(value, dict):
        return {clean_tree(k, keep): clean_tree(v, keep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v, keep) for v in value]
    return value


def terminal(text: str) -> str:
    """One line for the terminal."""
    return clean(text)


def points(value: float) -> str:
    """Points as a student or instructor reads them: at most two decimals, no trailing zeros (3.33, 15)."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
