"""The `blitz` command. Each group of subcommands lives in its own module and registers itself:

- students: list, check, hint, watch, reset, doctor, report, download   (blitz/student/cli.py)
- instructors: course (an nbgrader course directory)                      (blitz/authoring/nbgrader.py)
- grading: grade (batch grading of many submissions), similar (near-copies) (blitz/grading/cli.py)
- maintainers: generate (stubs and notebooks from the solutions)
"""

from __future__ import annotations

import argparse
import importlib
import sys

from blitz.course.i18n import LANGS, set_lang

# Modules that add subcommands with a `register(subparsers)` function.
COMMAND_MODULES = ("blitz.student.cli", "blitz.authoring.nbgrader", "blitz.grading.cli")


def _generate(args: argparse.Namespace) -> int:
    from blitz.authoring.generate import write_all

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
    parser.add_argument("--lang", choices=LANGS, help="zh, en or both (default: from the locale, or $BLITZ_LANG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    generate = subparsers.add_parser("generate", help="regenerate stubs and notebooks from solutions/ (maintainers)")
    generate.set_defaults(func=_generate)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            # One broken dependency (say nbformat) must not take every other command down with it.
            print(f"blitz: the commands of {name} are unavailable: {exc}", file=sys.stderr)
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        set_lang(args.lang)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
