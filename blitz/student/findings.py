"""One line of `blitz doctor`: a finding, its level and its mark."""

from __future__ import annotations

from dataclasses import dataclass

from blitz.course.i18n import Msg
from blitz.student.render import label

OK, NOTE, PROBLEM = "ok", "note", "problem"
MARKS = {OK: "[ OK ]", NOTE: "[note]", PROBLEM: "[FAIL]"}


@dataclass
class Finding:
    level: str
    what: str  # short, language-neutral (a name and a version)
    detail: Msg

    def line(self) -> str:
        detail = label(self.detail)
        return f"{MARKS[self.level]} {self.what}" + (f": {detail}" if detail else "")
