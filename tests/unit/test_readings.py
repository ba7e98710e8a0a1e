"""The exercises' readings (blitz/course/readings/): both languages, every example runs, every hint
ladder's last rung names a section that exists, and no line of a solution is in them."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import kit
import pytest

from blitz.checks import all_checks
from blitz.course import reading, registry
from blitz.course.hints import ladder

READINGS = [(e.id, lang) for e in registry.EXERCISES for lang in reading.LANGS]
# The last rung names the reading's heading and the command that shows it.
EN_RUNG = re.compile(r'the part "(?P<title>[^"]+)" \(blitz learn (?P<id>\w+) shows it')
ZH_RUNG = re.compile(r"“(?P<title>[^”]+)”一节（blitz learn (?P<id>\w+) 显示它")


@pytest.mark.parametrize(("exercise", "lang"), READINGS, ids=lambda v: str(v))
def test_every_section_has_an_example_that_runs(exercise, lang, tmp_path, monkeypatch):
    text = reading.text(exercise, lang)
    sections = text.split("\n## ")[1:]
    assert sections, f"{exercise}.{lang}.md has no sections"
    for section in sections:
        assert "```python" in section, f"{exercise}.{lang}: section {section.splitlines()[0]!r} has no example"
    # The examples read MNIST from ./data, as a student's do: here the data the kit uses.
    (tmp_path / "data").symlink_to(Path(os.environ.get("BLITZ_DATA", registry.ROOT / "data")).resolve())
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__reading__"}
    printed = io.StringIO()
    for number, block in enumerate(reading.examples(exercise, lang), 1):
        with contextlib.redirect_stdout(printed):
            exec(compile(block, f"{exercise}.{lang}.md example {number}", "exec"), namespace)  # noqa: S102
    assert printed.getvalue().strip(), "the examples print what they show"


@pytest.mark.parametrize("exercise", [e.id for e in registry.EXERCISES])
def test_the_two_languages_have_the_same_sections_and_examples(exercise):
    assert len(reading.headings(exercise, "zh")) == len(reading.headings(exercise, "en"))
    assert reading.examples(exercise, "zh") != [] and len(reading.examples(exercise, "zh")) == len(
        reading.examples(exercise, "en")
    )
    assert not re.search(r"[\u4e00-\u9fff]", reading.text(exercise, "en")), "English text holds Chinese"


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.key)
def test_every_ladder_ends_at_a_section_that_exists(check):
    last = ladder(check.key)[-1]
    en, zh = EN_RUNG.search(last.en), ZH_RUNG.search(last.zh)
    assert en and zh, f"{check.key}: the last rung names no section of a reading: {last.en}"
    assert en["id"] == zh["id"] == check.exercise
    assert reading.heading(check.exercise, "en", en["title"]) is not None, (check.key, en["title"])
    assert reading.heading(check.exercise, "zh", zh["title"]) is not None, (check.key, zh["title"])


def test_a_missing_heading_is_found_missing():
    assert reading.heading("tensors", "en", "making a tensor from data") == "Making a tensor from data"
    assert reading.heading("tensors", "en", "a section nobody wrote") is None


def test_no_reading_holds_a_solution_line():
    # The readings ship in the class release: they teach the functions, never the answer's lines.
    lines = kit.solution_lines()
    found = [
        f"{e}.{lang}: {line.strip()}"
        for e, lang in READINGS
        for line in reading.text(e, lang).splitlines()
        if line.strip() in lines
    ]
    assert not found, found
