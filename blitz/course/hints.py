"""A hint ladder per check, gentle first: what the check is about, then what to look at, and last
the course section that teaches it (never the line of code that answers it).

`blitz hint`, watch's h key and a failing notebook test cell all show the ladder of the first check
that fails (:func:`ladder`). Each exercise declares its ladders in ``blitz/exercises/<id>/hints.toml``, in
check order, keyed by the check's name (``check_<name>`` in its ``checks.py``); a test keeps the two in step.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as the package it came from
    import tomli as tomllib

from blitz.course import registry
from blitz.course.i18n import Msg, tr

# The course's chapters, as the last rung names them (the registry's titles before their colon).
CHAPTERS: dict[str, Msg] = {e.id: e.chapter for e in registry.EXERCISES}


def section(exercise: str, zh: str, en: str) -> Msg:
    """The last rung: the section of the exercise's reading (blitz/course/readings/) to read again,
    by its heading (`zh` and `en`, which a test finds among the reading's headings)."""
    chapter = CHAPTERS[exercise]
    notebook = registry.get(exercise).has_module  # the capstone has no notebook
    also = (
        (f"，笔记本 notebooks/{exercise}.ipynb 开头也有", f"; so does the top of notebooks/{exercise}.ipynb")
        if notebook
        else ("", "")
    )
    title = en[:1].upper() + en[1:]
    SECTIONS.append((exercise, zh, en))
    return tr(
        'Read the course section "{chapter_en}" again, the part "{title}" (blitz learn {exercise} shows it{also_1}). Then compare it with the check\'s message.',
        chapter_en=chapter.en,
        title=title,
        exercise=exercise,
        also_1=also[1],
        chapter_zh=chapter.zh,
        zh=zh,
        also_0=also[0],
    )


# Every (exercise, zh heading, en heading) a ladder's last rung names.
SECTIONS: list[tuple[str, str, str]] = []


def _ladders(exercise_id: str) -> dict[str, tuple[Msg, ...]]:
    """One exercise's ladders, from its blitz/exercises/<id>/hints.toml: the rungs, then its course section."""
    path = EXERCISES_DIR / exercise_id / "hints.toml"
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        name: (
            *(Msg(rung["zh"], rung["en"]) for rung in entry["rungs"]),
            section(exercise_id, entry["section"]["zh"], entry["section"]["en"]),
        )
        for name, entry in table.items()
    }


EXERCISES_DIR = Path(__file__).resolve().parents[1] / "exercises"
# Every check's ladder, per exercise in the course's order and check order within it.
LADDERS: dict[str, dict[str, tuple[Msg, ...]]] = {e.id: _ladders(e.id) for e in registry.EXERCISES}


def ladder(check_key: str) -> tuple[Msg, ...]:
    """The hint ladder of a check ("tensors.gram"), gentle first; () for a check without one."""
    exercise, _, name = check_key.partition(".")
    return LADDERS.get(exercise, {}).get(name, ())


def first_check(exercise_id: str) -> str:
    """The key of an exercise's first check (its hints come first, before anything has run)."""
    return f"{exercise_id}.{next(iter(LADDERS[exercise_id]))}"
