"""`blitz learn ID`: the exercise's reading (the course text, with small examples to run), in the
student's language(s). The same text opens the exercise's notebook; hint ladders end by pointing here."""

from __future__ import annotations

import argparse
import sys

from blitz.course import reading
from blitz.course.i18n import chosen_lang
from blitz.student.paths import UsageProblem, get_exercise
from blitz.student.render import out


def cmd_learn(args: argparse.Namespace) -> int:
    try:
        exercise = get_exercise(args.id)
    except UsageProblem as problem:
        out(problem.msg, stream=sys.stderr)
        return 2
    print(reading.text(exercise.id, chosen_lang()))
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("learn", help="read an exercise's course text, with examples / 阅读练习的课程讲解")
    p.add_argument("id", help="exercise id (blitz list shows them)")
    p.set_defaults(func=cmd_learn)
