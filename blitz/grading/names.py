"""Text that comes from students, made safe where the grader shows or stores it.

Folder names and the messages of a student's exceptions reach the terminal, grades.csv, junit.xml
and results.json. There they must not forge a line (newline, carriage return), drive the terminal
(escape sequences), turn into a spreadsheet formula (a cell starting with = + - @), break XML
(control characters are not allowed in XML 1.0), or name a report file (a folder called grades.csv).
"""

from __future__ import annotations

import re
import unicodedata

# What `blitz grade` writes at the top of its output folder (besides one folder per student).
REPORT_NAMES = frozenset({"grades.csv", "junit.xml", "results.json", "summary.txt", "isolation.json", "logs"})
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte CSI
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _unsafe_char(ch: str, keep: str) -> bool:
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
    return "".join(replacement if _unsafe_char(ch, keep) else ch for ch in text)


def terminal(text: str) -> str:
    """One line for the terminal."""
    return clean(text)


def report_text(text: str) -> str:
    """Text for a report (several lines allowed): no escapes, nothing XML 1.0 refuses."""
    return clean(str(text).replace("\r\n", "\n"), keep="\n\t")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    raw = str(text)
    cell = clean(raw.replace("\r\n", " ").replace("\n", " "))
    return "'" + cell if raw.startswith(FORMULA_START) or cell.startswith(FORMULA_START) else cell


def student_id(name: str) -> str:
    """A student id for reports and for the folder of their results.json: printable, no path
    separator, and never the name of a report file or a hidden one."""
    safe = clean(name, replacement="_").replace("/", "_").replace("\\", "_").strip() or "_"
    if safe.casefold() in REPORT_NAMES or safe.startswith(".") or safe in (".", ".."):
        safe = f"{safe.lstrip('.') or '_'}-student"
    return safe
