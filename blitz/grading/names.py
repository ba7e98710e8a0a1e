"""Text that comes from students, made safe where the grader shows or stores it.

Folder names and the messages of a student's exceptions reach the terminal, grades.csv, junit.xml
and results.json. There they must not forge a line (newline, carriage return), drive the terminal
(escape sequences), turn into a spreadsheet formula (a cell starting with = + - @), break XML
(control characters are not allowed in XML 1.0), or name a report file (a folder called grades.csv).
"""

from __future__ import annotations

import re
import unicodedata

from blitz.course.text import clean, clean_tree, terminal, unsafe_char  # noqa: F401 - the one sanitizer

# What `blitz grade` writes at the top of its output folder (besides one folder per student).
REPORT_NAMES = frozenset(
    {"grades.csv", "junit.xml", "results.json", "summary.txt", "isolation.json", "logs", "class_report"}
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def report_text(text: str) -> str:
    """Text for a report (several lines allowed): no escapes, nothing XML 1.0 refuses."""
    return clean(str(text).replace("\r\n", "\n"), keep="\n\t")


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    raw = str(text)
    cell = clean(raw.replace("\r\n", " ").replace("\n", " "))
    return "'" + cell if raw.startswith(FORMULA_START) or cell.startswith(FORMULA_START) else cell


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"%{code:02X}" if code < 0x100 else f"%u{code:04X}" if code < 0x10000 else f"%U{code:08X}"


def student_id(name: str) -> str:
    """A student id for reports and for the folder of their results.json: printable, no path
    separator, never the name of a report file or a hidden one, and injective: every control or
    format character, ``/``, ``\\`` and ``%`` is written ``%XX`` (``%uXXXX``, ``%UXXXXXXXX``), and so
    is the first character of a report file's name or a leading dot, so that two different folder
    names never give the same id (:func:`folder_name` reads it back)."""
    name = str(name)
    out = "".join(_escape(ch) if ch in "/\\%" or unsafe_char(ch) else ch for ch in name)
    if name.casefold() in REPORT_NAMES or name.startswith(".") or not name:
        out = _escape(name[0]) + out[1:] if name else "%"
    return out


_ESCAPED = re.compile(r"%(?:U([0-9A-F]{8})|u([0-9A-F]{4})|([0-9A-F]{2}))")


def folder_name(student: str) -> str:
    """The folder name a :func:`student_id` came from."""
    return _ESCAPED.sub(lambda m: chr(int(next(g for g in m.groups() if g), 16)), student)


def is_student_id(text: str) -> bool:
    """Is `text` an id :func:`student_id` makes (a record read back from disk may say anything)?"""
    try:
        return text != "%" and student_id(folder_name(text)) == text
    except (ValueError, OverflowError):  # an escape beyond Unicode
        return False


def collision_key(name: str) -> str:
    """Folder names with the same key are refused together: they differ only in case or in
    Unicode's compatibility forms, so a person (or a case-insensitive disk) takes them for one."""
    return unicodedata.normalize("NFKC", str(name)).casefold()
