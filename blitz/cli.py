"""The `blitz` command. Each group of subcommands lives in its own module and registers itself:

- students: list, check, hint, watch, reset, doctor, report, download   (blitz/student/cli.py)
- instructors: course (an nbgrader course directory)                      (blitz/authoring/nbgrader.py)
             course-autograde (nbgrader, sandboxed kernels, the kit's scores) (blitz/grading/notebook/autograde.py)
             release (what students of a class get: no reference code)  (blitz/authoring/release.py)
- grading: grade (batch grading of many submissions), similar (near-copies) (blitz/grading/cli.py)
           gradescope (an autograder zip for Gradescope)                 (blitz/grading/gradescope.py)
- maintainers: generate (stubs and notebooks from the solutions)
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys

from blitz.course.i18n import env_language_problem, langs, set_lang, unknown_language

# Modules that add subcommands with a `register(subparsers)` function.
COMMAND_MODULES = (
    "blitz.student.cli",
    "blitz.student.learn",
    "blitz.authoring.nbgrader",
    "blitz.authoring.release",
    "blitz.grading.cli",
    "blitz.grading.gradescope",
    "blitz.grading.notebook.autograde",
)

# `blitz COMMAND --help` ends with examples. A command whose parser sets its own epilog (grade) keeps it;
# the others get theirs from here, so each command's help shows how it is run.
EXAMPLES = {
    "generate": ["blitz generate                      # after editing solutions/, a check or the registry"],
    "list": ["blitz list", "blitz list --submission solutions   # the reference, all passing"],
    "check": [
        "blitz check                         # the next unfinished exercise",
        "blitz check tensors --lang en",
        "blitz check pipeline --device cuda  # the capstone, trained on the GPU",
    ],
    "hint": ["blitz hint tensors", "blitz hint tensors --all            # the whole ladder"],
    "watch": ["blitz watch", "blitz watch --submission my-work/"],
    "reset": ["blitz reset tensors", "blitz reset tensors --yes           # without asking"],
    "doctor": ["blitz doctor"],
    "report": ["blitz report", "blitz report --out report/ --epochs 1"],
    "download": ["blitz download                      # into $BLITZ_DATA, else the kit's data/"],
    "learn": ["blitz learn tensors", "blitz learn autograd --lang en"],
    "course": ["blitz course course/                # then: cd course && nbgrader generate_assignment tensors"],
    "release": ["blitz release class-release/        # hand out class-release/, never the kit itself"],
    "similar": [
        "blitz similar submissions/ --out similarity.html",
        "blitz similar submissions/ --exercises tensors --base last-year/",
    ],
    "gradescope": [
        "blitz gradescope autograder.zip",
        "blitz gradescope week1.zip --lang zh --exercises tensors,autograd",
    ],
    "course-autograde": ["blitz course-autograde course/ tensors   # after nbgrader collect tensors"],
}


def _add_examples(name: str, sub: argparse.ArgumentParser) -> None:
    if sub.epilog or name not in EXAMPLES:
        return
    sub.epilog = "examples / 例子:\n" + "".join(f"  {line}\n" for line in EXAMPLES[name])
    if sub.formatter_class is argparse.HelpFormatter:
        sub.formatter_class = argparse.RawDescriptionHelpFormatter


def _generate(args: argparse.Namespace) -> int:
    from blitz.authoring.generate import write_all, write_catalogs

    written = write_catalogs()
    if written:  # this process read its messages from the old catalogs: a fresh one writes the rest
        for path in written:
            print(f"wrote {path}")
        return subprocess.call([sys.executable, "-m", "blitz", "generate"])
    written = write_all()
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("all generated files are up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blitz", description="Learn PyTorch in 60 minutes, test-driven / 60 分钟学 PyTorch，测试驱动"
    )
    _add_lang(parser, default=None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    if importlib.util.find_spec("blitz.authoring") is not None:  # not in a student release
        generate = subparsers.add_parser(
            "generate", help="regenerate stubs and notebooks from solutions/ (maintainers)"
        )
        generate.set_defaults(func=_generate)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # a student release ships without the instructors' packages: not an error
            print(f"blitz: the commands of {name} are unavailable: {exc}", file=sys.stderr)
            continue
        except ImportError as exc:
            # One broken dependency (say nbformat) must not take every other command down with it.
            print(f"blitz: the commands of {name} are unavailable: {exc}", file=sys.stderr)
            continue
        module.register(subparsers)
    # --lang is accepted after the command too (`blitz hint tensors --lang zh`); there it overrides
    # the one before the command only when given.
    for name, sub in subparsers.choices.items():
        _add_lang(sub, default=argparse.SUPPRESS)
        _add_examples(name, sub)
    return parser


def _language(value: str) -> str:
    """--lang's type: one of langs(), or an error that lists them in both languages."""
    chosen = value.strip().lower()
    if chosen not in langs():
        raise argparse.ArgumentTypeError(unknown_language(value).render("both"))
    return chosen


def _add_lang(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument(
        "--lang",
        type=_language,
        default=default,
        metavar="{" + ",".join(langs()) + "}",
        help="zh, en or both (default: $BLITZ_LANG, else the locale)",
    )


def main(argv: list[str] | None = None) -> int:
    from blitz.engine.imports import skip_iri_grammar

    skip_iri_grammar()  # the commands that read notebooks import nbformat: a second less each
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        set_lang(args.lang)
    elif (problem := env_language_problem()) is not None:
        print(problem.render("both"), file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `blitz hint tensors | head`: the reader left; say nothing more, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
