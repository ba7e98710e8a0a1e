"""Each exercise's reading: the course text in the kit's own words, zh and en, with small runnable examples.

The texts are blitz/course/readings/<id>.<lang>.md; `blitz learn ID` prints one, each generated
notebook opens with it, and the last rung of every hint ladder (:func:`blitz.course.hints.section`)
names one of its `## ` headings. A test checks that every such heading exists and runs every example.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "readings"
LANGS = ("zh", "en")


def path(exercise_id: str, lang: str) -> Path:
    return FOLDER / f"{exercise_id}.{lang}.md"


def text(exercise_id: str, lang: str) -> str:
    """The reading in `lang` ("zh" or "en"); "both": Chinese, then English."""
    if lang == "both":
        return "\n\n".join(text(exercise_id, one) for one in LANGS)
    return path(exercise_id, lang).read_text(encoding="utf-8")


def headings(exercise_id: str, lang: str) -> list[str]:
    """The titles of the reading's sections (its `## ` lines), in order."""
    return [line[3:].strip() for line in text(exercise_id, lang).splitlines() if line.startswith("## ")]


def heading(exercise_id: str, lang: str, topic: str) -> str | None:
    """The section of the reading that `topic` names (case aside), or None."""
    wanted = topic.strip().casefold()
    return next((h for h in headings(exercise_id, lang) if h.casefold() == wanted), None)


def examples(exercise_id: str, lang: str) -> list[str]:
    """The ```python blocks of the reading, in order."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text(exercise_id, lang).splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks
