"""The student's commands: list, check, hint, watch, reset, doctor, report, download.

    blitz list                 every exercise in course order: not started / failing / done, with points
    blitz check [ID]           run an exercise's checks (the next unfinished one without ID)
    blitz hint [ID]            the next hint for the first failing check, gentle first (--all, --reset)
    blitz watch                re-check on every save; h: hint, q: quit
    blitz reset ID             the original stub back (asks first; --yes does not)
    blitz doctor               is everything installed, is MNIST there and intact?
    blitz report               train your model, draw its loss curve and the digits it gets wrong
    blitz download             fetch MNIST with torchvision

`--submission PATH` (or `--exercises-dir PATH`) points at another folder of exercise files.
Everything a student reads comes in Chinese and English (`blitz --lang zh|en|both`).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import blitz
from blitz.course import registry
from blitz.course.hints import LADDERS, ladder
from blitz.course.i18n import tr
from blitz.course.text import display_width, pad, points
from blitz.student.paths import UsageProblem, command, exercise_file, get_exercise, resolve_folder, shown_path
from blitz.student.render import (
    ALL_DONE,
    OK_MARK,
    STATE_LABELS,
    STATE_MARKS,
    TODO_MARK,
    exercise_heading,
    first_failing,
    hint_heading,
    label,
    next_step,
    out,
    printed_block,
    readable_streams,
    result_lines,
    say,
    summary_line,
)
from blitz.student.standing import Course
from blitz.student.state import State, course_totals, next_exercise


def _folder_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--submission",
        "--exercises-dir",
        dest="submission",
        metavar="PATH",
        help="folder with your exercise files (default: the kit's exercises/)",
    )


def _context_options(parser: argparse.ArgumentParser, epochs_help: str) -> None:
    parser.add_argument("--device", default="cpu", help="where models train: cpu, cuda (default: cpu)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default: 0)")
    parser.add_argument("--epochs", type=int, default=None, help=epochs_help)


def _guarded(func):
    """Bad input and Ctrl-C end with a message and an exit code, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        readable_streams()
        try:
            return func(args)
        except UsageProblem as problem:
            out(problem.msg, stream=sys.stderr)
            return 2
        except KeyboardInterrupt:
            out(tr("Interrupted."), stream=sys.stderr)
            return 130

    run.__name__ = func.__name__
    return run


# --- list -------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    folder = resolve_folder(args.submission)
    course = Course(folder)
    try:
        statuses = course.statuses(mode="list")
    finally:
        course.close()
    head = [
        label(tr("exercise")),
        label(tr("state")),
        label(tr("points")),
        label(tr("title")),
    ]
    rows = []
    for number, status in enumerate(statuses, 1):
        state = f"{STATE_MARKS.get(status.state, TODO_MARK)} {label(STATE_LABELS[status.state])}"
        state += " *" if status.exercise.id in course.stale else ""
        optional = " (" + label(tr("optional")) + ")" if status.exercise.optional else ""
        rows.append(
            [
                f"{number}. {status.exercise.id}",
                state,
                f"{points(status.score)}/{status.exercise.points}",
                label(status.exercise.title) + optional,
            ]
        )
    widths = [max(display_width(r[i]) for r in rows + [head]) for i in range(3)]
    out(label(tr("Exercises in {shown_path_folder}", shown_path_folder=shown_path(folder))))
    out("  ".join(pad(h, w) for h, w in zip(head, widths)) + "  " + head[3])
    for row in rows:
        out("  ".join(pad(c, w) for c, w in zip(row, widths)) + "  " + row[3])
    done, required, earned = course_totals(statuses)
    out()
    if course.stale:
        names = ", ".join(sorted(course.stale))
        out(
            tr(
                "* changed since last checked ({names}): the last results are shown; `blitz check ID` checks again.",
                names=names,
            )
        )
    out(
        label(
            tr(
                "Total {points_earned}/{registry_total_points} points · {done} of {required} required exercises done",
                points_earned=points(earned),
                registry_total_points=registry.TOTAL_POINTS,
                done=done,
                required=required,
            )
        )
    )
    following = next_exercise(statuses)
    if following is None:
        out(ALL_DONE)
    else:
        check = command(f"blitz check {following.id}", folder)
        out(tr("Next: `{check}`", check=check))
    return 0


# --- check ------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    folder = resolve_folder(args.submission)
    course = Course(folder, {"device": args.device, "seed": args.seed, "epochs": args.epochs})
    course.engine.start()  # torch is imported in the worker while this process reads the results kept
    try:
        return _check(args, folder, course)
    finally:
        course.close()


def _check(args: argparse.Namespace, folder, course: Course) -> int:
    exercise = get_exercise(args.id) if args.id else course.next_unfinished()
    if exercise is None:
        out(ALL_DONE)
        return 0
    out(f"== {exercise_heading(exercise)} ==")
    if not exercise.has_module:
        from blitz.course.mnist import CHECK_TRAIN_IMAGES
        from blitz.execution.limits import CAPSTONE_EPOCHS

        epochs = args.epochs or CAPSTONE_EPOCHS
        out(
            tr(
                "Training your data, model, train and evaluate code on MNIST for {epochs} epoch(s) on {CHECK_TRAIN_IMAGES:,} images, then evaluating (under a minute on most computers)...",
                epochs=epochs,
                CHECK_TRAIN_IMAGES=CHECK_TRAIN_IMAGES,
            )
        )
    missing = exercise.has_module and not exercise_file(folder, exercise).is_file()
    status = course.status(exercise) if missing else course.run(exercise)  # a missing file: how to get it back
    if status.results:
        out("\n".join(result_lines(status)))
        out(summary_line(status))
    printed = printed_block(course.printed.get(exercise.id))
    if printed:
        out("\n".join(printed))
    out()
    statuses = course.statuses(mode="cached") if status.done else [status]
    out(next_step(status, statuses, folder, course.state))
    return 0 if status.done else 1


# --- hint -------------------------------------------------------------------------------------


def cmd_hint(args: argparse.Namespace) -> int:
    """The ladder of the exercise's first failing check: one rung per call, gentle first."""

    folder = resolve_folder(args.submission)
    state = State(folder)
    course = Course(folder, state=state)
    try:
        return _hint(args, state, course)
    finally:
        course.close()  # the worker that ran the exercise's checks


def _hint(args: argparse.Namespace, state: State, course: Course) -> int:
    from blitz.engine.catalog import check_refs  # the checks' titles without torch (blitz.checks imports it)

    exercise = get_exercise(args.id) if args.id else course.next_unfinished()
    if exercise is None:
        out(tr("Every exercise is done: no hints needed!"))
        return 0
    if args.reset:
        for entry in LADDERS.get(exercise.id, {}):
            state.set_hints_shown(f"{exercise.id}.{entry}", 0)
        out(tr("Hints for {exercise_id} start again from the first.", exercise_id=exercise.id))
        return 0
    out(f"== {exercise_heading(exercise)} ==")
    key = first_failing(course.status(exercise))
    if key is None:
        out(tr("Every check of {exercise_id} passes: no hint needed.", exercise_id=exercise.id))
        return 0
    rungs = ladder(key)
    title = next(ref.title for ref in check_refs(exercise.id) if ref.key == key)
    out(
        label(
            tr(
                "First failing check: {get_check_key_title_en}",
                get_check_key_title_en=title.en,
                get_check_key_title_zh=title.zh,
            )
        )
    )
    if args.all:
        for number, hint in enumerate(rungs, 1):
            out(hint_heading(number, len(rungs)))
            out(say(hint))
        state.set_hints_shown(key, len(rungs))
        return 0
    number = min(state.hints_shown(key) + 1, len(rungs))
    out(hint_heading(number, len(rungs)))
    out(say(rungs[number - 1]))
    state.set_hints_shown(key, number)
    out()
    if number < len(rungs):
        out(
            tr(
                "Still stuck? Run `{value}` again for the next, more explicit one.",
                value=command(f"blitz hint {exercise.id}", course.folder),
            )
        )
    else:
        out(
            tr(
                "That was this check's last hint. `{value} --all` shows them all, `--reset` starts again.",
                value=command(f"blitz hint {exercise.id}", course.folder),
            )
        )
    return 0


# --- reset ------------------------------------------------------------------------------------

YES = ("y", "yes", "是", "好", "是的")


def original_stub(exercise) -> str:
    """The stub as handed out: shipped in a student release's package, made from solutions/ in the kit."""
    shipped = Path(blitz.__file__).resolve().parent / "stubs" / f"{exercise.id}.py"
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    from blitz.authoring.markers import stub_source

    return stub_source(exercise)


def cmd_reset(args: argparse.Namespace) -> int:
    folder = resolve_folder(args.submission)
    exercise = get_exercise(args.id)
    if not exercise.has_module:
        out(
            tr(
                "{exercise_id} has no file of its own: it runs your data, model, train and evaluate. Reset those instead.",
                exercise_id=exercise.id,
            ),
            stream=sys.stderr,
        )
        return 2
    path = exercise_file(folder, exercise)
    stub = original_stub(exercise)
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old == stub:
        out(tr("{shown_path_path} is already the original stub; nothing to do.", shown_path_path=shown_path(path)))
        return 0
    if not args.yes:
        question = label(
            tr(
                "Replace {shown_path_path} with the original stub? Your code in it moves to a backup.",
                shown_path_path=shown_path(path),
            )
        )
        print(f"{question} [y/N] ", end="", flush=True)
        try:
            answer = input()
        except EOFError:  # no one to answer: the safe choice
            answer = ""
        if answer.strip().lower() not in YES:
            out(tr("Nothing changed."))
            return 1
    if old is not None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = folder / ".blitz" / "backup" / f"{exercise.id}-{stamp}.py"
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(old, encoding="utf-8")
        out(tr("Your previous code is saved in {shown_path_backup}.", shown_path_backup=shown_path(backup)))
    path.write_text(stub, encoding="utf-8")
    out(
        tr(
            "{shown_path_path} is the original stub again. Run `{value}` to start over.",
            shown_path_path=shown_path(path),
            value=command(f"blitz check {exercise.id}", folder),
        )
    )
    return 0


# --- download ---------------------------------------------------------------------------------


def cmd_download(args: argparse.Namespace) -> int:
    from blitz.course import mnist

    root = mnist.data_root()
    if not mnist.missing_files(root):
        out(tr("MNIST is already in {root}.", root=root))
        return 0
    out(tr("Downloading MNIST into {root} with torchvision...", root=root))
    try:
        mnist.download(root)
    except PermissionError as exc:
        out(
            tr(
                "Cannot write to {root} ({exc}). Set BLITZ_DATA to a folder you can write to and run `blitz download` again.",
                root=root,
                exc=exc,
            ),
            stream=sys.stderr,
        )
        return 1
    except Exception as exc:  # noqa: BLE001 - torchvision raises RuntimeError, URLError, OSError... when offline
        files = ", ".join(f"{name}.gz" for names in mnist.RAW_FILES.values() for name in names)
        out(
            tr(
                "Could not download MNIST: {exc_type}: {exc}\nAre you offline? Connect and run `blitz download` again; or copy {files} into {root_mnist_raw} from someone who has them, or set BLITZ_DATA to a folder holding MNIST/raw/. Then run `blitz doctor`.",
                exc_type=type(exc).__name__,
                exc=exc,
                files=files,
                root_mnist_raw=root / "MNIST" / "raw",
            ),
            stream=sys.stderr,
        )
        return 1
    out(tr("{OK_MARK} MNIST is ready in {root}.", OK_MARK=OK_MARK, root=root))
    return 0


# --- the ones in their own modules ------------------------------------------------------------


def cmd_watch(args: argparse.Namespace) -> int:
    from blitz.student.watch import watch

    return watch(resolve_folder(args.submission), interval=args.interval)


def cmd_doctor(args: argparse.Namespace) -> int:
    from blitz.student.doctor import doctor

    return doctor()


def cmd_report(args: argparse.Namespace) -> int:
    from blitz.student.report import report

    return report(
        resolve_folder(args.submission), out_dir=args.out, epochs=args.epochs, device=args.device, seed=args.seed
    )


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="every exercise with its state and points / 所有练习的状态与得分")
    _folder_option(p)
    p.set_defaults(func=_guarded(cmd_list))

    p = subparsers.add_parser("check", help="run an exercise's checks / 检查一个练习")
    p.add_argument("id", nargs="?", help="exercise id (default: the next unfinished one)")
    _folder_option(p)
    _context_options(p, "epochs of the MNIST capstone check (default: its calibrated value)")
    p.set_defaults(func=_guarded(cmd_check))

    p = subparsers.add_parser("hint", help="the next hint, gentle first / 下一条提示")
    p.add_argument("id", nargs="?", help="exercise id (default: the next unfinished one)")
    p.add_argument("--all", action="store_true", help="show every hint")
    p.add_argument("--reset", action="store_true", help="start again from the first hint")
    _folder_option(p)
    p.set_defaults(func=_guarded(cmd_hint))

    p = subparsers.add_parser("watch", help="re-check on every save; h: hint, q: quit / 保存即检查")
    _folder_option(p)
    p.add_argument("--interval", type=float, default=0.3, help="seconds between looks at the files (default: 0.3)")
    p.set_defaults(func=_guarded(cmd_watch))

    p = subparsers.add_parser("reset", help="the original stub of an exercise back / 恢复原始练习文件")
    p.add_argument("id", help="exercise id")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _folder_option(p)
    p.set_defaults(func=_guarded(cmd_reset))

    p = subparsers.add_parser("doctor", help="check the installation and the data / 检查安装与数据")
    p.set_defaults(func=_guarded(cmd_doctor))

    p = subparsers.add_parser("report", help="train your model; draw its loss curve and mistakes / 训练并画图")
    _folder_option(p)
    p.add_argument("--out", metavar="DIR", default=None, help="where the PNGs go (default: .blitz/report in the kit)")
    p.add_argument("--epochs", type=int, default=None, help="epochs to train (default: the capstone check's)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when there is one)")
    p.add_argument("--seed", type=int, default=0, help="seed for the weights and the shuffling (default: 0)")
    p.set_defaults(func=_guarded(cmd_report))

    p = subparsers.add_parser("download", help="fetch MNIST with torchvision / 下载 MNIST")
    p.set_defaults(func=_guarded(cmd_download))
