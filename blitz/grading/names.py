"""Text that comes from students, made safe where the grader shows or stores it.

Folder names and the messages of a student's exceptions reach the terminal, grades.csv, junit.xml
and results.json. There they must not forge a line (newline, carriage return), drive the terminal
(escape sequences), turn into a spreadsheet formula (a cell starting with = + - @), break XML
(control characters are not allowed in XML 1.0), or name a report file (a folder called grades.csv).
"""

from __future__ import annotations

from blitz.course.text import clean, terminal  # noqa: F401 - one copy, shared with the course's text

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


def student_id(name: str) -> str:
    """A student id for reports and for the folder of their results.json: printable, no path
    separator, and never the name of a report file or a hidden one."""
    safe = clean(name, replacement="_").replace("/", "_").replace("\\", "_").strip() or "_"
    if safe.casefold() in REPORT_NAMES or safe.startswith(".") or safe in (".", ".."):
        safe = f"{safe.lstrip('.') or '_'}-student"
    return safe
