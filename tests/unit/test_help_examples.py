"""Every `blitz` subcommand's --help ends with at least one example of how it is run (issue 23, item 10)."""

from __future__ import annotations

import argparse

import pytest

from blitz.cli import build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("blitz has no subcommands")


SUBCOMMANDS = _subcommands()


def test_the_instructors_and_students_commands_are_all_there():
    # Guards the parametrisation below against an empty or partial list (a failed import hides commands).
    expected = {"list", "check", "hint", "watch", "reset", "doctor", "report", "download", "learn", "generate"}
    expected |= {"course", "course-autograde", "release", "grade", "similar", "gradescope"}
    assert expected <= set(SUBCOMMANDS)


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_help_shows_an_example(name):
    text = SUBCOMMANDS[name].format_help()
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith(f"blitz {name}")]
    assert examples, f"`blitz {name} --help` shows no example line starting with `blitz {name}`:\n{text}"
    assert "examples / 例子:" in text
