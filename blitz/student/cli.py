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
from blitz.course.i18n import Msg
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
            out(Msg("已中断。", "Interrupted."), stream=sys.stderr)
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
        label(Msg("练习", "exercise")),
        label(Msg("状态", "state")),
        label(Msg("得分", "points")),
        label(Msg("内容", "title")),
    ]
    rows = []
    for number, status in enumerate(statuses, 1):
        state = f"{STATE_MARKS.get(status.state, TODO_MARK)} {label(STATE_LABELS[status.state])}"
        state += " *" if status.exercise.id in course.stale else ""
        optional = " (" + label(Msg("选做", "optional")) + ")" if status.exercise.optional else ""
        rows.append(
            [
                f"{number}. {status.exercise.id}",
                state,
                f"{points(status.score)}/{status.exercise.points}",
                label(status.exercise.title) + optional,
            ]
        )
    widths = [max(display_width(r[i]) for r in rows + [head]) for i in range(3)]
    out(label(Msg(f"练习文件夹：{shown_path(folder)}", f"Exercises in {shown_path(folder)}")))
    out("  ".join(pad(h, w) for h, w in zip(head, widths)) + "  " + head[3])
    for row in rows:
        out("  ".join(pad(c, w) for c, w in zip(row, widths)) + "  " + row[3])
    done, required, earned = course_totals(statuses)
    out()
    if course.stale:
        names = ", ".join(sorted(course.stale))
        out(
            Msg(
                f"* 上次检查之后改过（{names}）：显示的是上次的结果；运行 `blitz check ID` 重新检查。",
                f"* changed since last checked ({names}): the last results are shown; `blitz check ID` checks again.",
            )
        )
    out(
        label(
            Msg(
                f"共 {points(earned)}/{registry.TOTAL_POINTS} 分 · 必做练习完成 {done}/{required}",
                f"Total {points(earned)}/{registry.TOTAL_POINTS} points · {done} of {required} required exercises done",
            )
        )
    )
    following = next_exercise(statuses)
    if following is None:
        out(ALL_DONE)
    else:
        check = command(f"blitz check {following.id}", folder)
        out(Msg(f"下一步：`{check}`", f"Next: `{check}`"))
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
            Msg(
                f"用你的 data、model、train、evaluate 在 MNIST 上训练 {epochs} 轮再评估（在 {CHECK_TRAIN_IMAGES:,} 张图上；多数电脑上不到一分钟）……",
                f"Training your data, model, train and evaluate code on MNIST for {epochs} epoch(s) on {CHECK_TRAIN_IMAGES:,} images, then evaluating (under a minute on most computers)...",
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
    from blitz.checks import get_check

    exercise = get_exercise(args.id) if args.id else course.next_unfinished()
    if exercise is None:
        out(Msg("所有练习都完成了，不需要提示了！", "Every exercise is done: no hints needed!"))
        return 0
    if args.reset:
        for entry in LADDERS.get(exercise.id, {}):
            state.set_hints_shown(f"{exercise.id}.{entry}", 0)
        out(Msg(f"{exercise.id} 的提示从第一条重新开始。", f"Hints for {exercise.id} start again from the first."))
        return 0
    out(f"== {exercise_heading(exercise)} ==")
    key = first_failing(course.status(exercise))
    if key is None:
        out(
            Msg(
                f"{exercise.id} 的每项检查都通过了，不需要提示。",
                f"Every check of {exercise.id} passes: no hint needed.",
            )
        )
        return 0
    rungs = ladder(key)
    out(label(Msg(f"第一项没通过的检查：{get_check(key).title.zh}", f"First failing check: {get_check(key).title.en}")))
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
            Msg(
                f"还是卡住？再运行一次 `{command(f'blitz hint {exercise.id}', course.folder)}` 看下一条（更具体）。",
                f"Still stuck? Run `{command(f'blitz hint {exercise.id}', course.folder)}` again for the next, more explicit one.",
            )
        )
    else:
        out(
            Msg(
                f"这是这项检查的最后一条提示。`{command(f'blitz hint {exercise.id}', course.folder)} --all` 显示全部，`--reset` 从头开始。",
                f"That was this check's last hint. `{command(f'blitz hint {exercise.id}', course.folder)} --all` shows them all, `--reset` starts again.",
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
            Msg(
                f"{exercise.id} 没有自己的文件：它运行你的 data、model、train、evaluate。要重来就分别 reset 它们。",
                f"{exercise.id} has no file of its own: it runs your data, model, train and evaluate. Reset those instead.",
            ),
            stream=sys.stderr,
        )
        return 2
    path = exercise_file(folder, exercise)
    stub = original_stub(exercise)
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old == stub:
        out(
            Msg(
                f"{shown_path(path)} 已经是原始的练习文件，没有改动。",
                f"{shown_path(path)} is already the original stub; nothing to do.",
            )
        )
        return 0
    if not args.yes:
        question = label(
            Msg(
                f"用原始练习文件替换 {shown_path(path)}？你在里面写的代码会被移到备份里。",
                f"Replace {shown_path(path)} with the original stub? Your code in it moves to a backup.",
            )
        )
        print(f"{question} [y/N] ", end="", flush=True)
        try:
            answer = input()
        except EOFError:  # no one to answer: the safe choice
            answer = ""
        if answer.strip().lower() not in YES:
            out(Msg("没有改动。", "Nothing changed."))
            return 1
    if old is not None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = folder / ".blitz" / "backup" / f"{exercise.id}-{stamp}.py"
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(old, encoding="utf-8")
        out(Msg(f"你原来的代码备份在 {shown_path(backup)}。", f"Your previous code is saved in {shown_path(backup)}."))
    path.write_text(stub, encoding="utf-8")
    out(
        Msg(
            f"{shown_path(path)} 已恢复为原始练习文件。运行 `{command(f'blitz check {exercise.id}', folder)}` 重新开始。",
            f"{shown_path(path)} is the original stub again. Run `{command(f'blitz check {exercise.id}', folder)}` to start over.",
        )
    )
    return 0


# --- download ---------------------------------------------------------------------------------


def cmd_download(args: argparse.Namespace) -> int:
    from blitz.course import mnist

    root = mnist.data_root()
    if not mnist.missing_files(root):
        out(Msg(f"MNIST 已经在 {root} 里了。", f"MNIST is already in {root}."))
        return 0
    out(Msg(f"正在用 torchvision 把 MNIST 下载到 {root} ……", f"Downloading MNIST into {root} with torchvision..."))
    try:
        mnist.download(root)
    except PermissionError as exc:
        out(
            Msg(
                f"不能写入 {root}（{exc}）。把环境变量 BLITZ_DATA 设为一个你能写的文件夹，再运行 `blitz download`。",
                f"Cannot write to {root} ({exc}). Set BLITZ_DATA to a folder you can write to and run `blitz download` again.",
            ),
            stream=sys.stderr,
        )
        return 1
    except Exception as exc:  # noqa: BLE001 - torchvision raises RuntimeError, URLError, OSError... when offline
        files = ", ".join(f"{name}.gz" for names in mnist.RAW_FILES.values() for name in names)
        out(
            Msg(
                f"下载 MNIST 失败：{type(exc).__name__}: {exc}\n"
                f"是不是没联网？联网后再运行 `blitz download`；或者从有这些文件的人那里复制 {files} 到 {root / 'MNIST' / 'raw'}，"
                f"或者把 BLITZ_DATA 设为包含 MNIST/raw/ 的文件夹。然后运行 `blitz doctor` 检查。",
                f"Could not download MNIST: {type(exc).__name__}: {exc}\n"
                f"Are you offline? Connect and run `blitz download` again; or copy {files} into {root / 'MNIST' / 'raw'} "
                f"from someone who has them, or set BLITZ_DATA to a folder holding MNIST/raw/. Then run `blitz doctor`.",
            ),
            stream=sys.stderr,
        )
        return 1
    out(Msg(f"{OK_MARK} MNIST 已下载到 {root}。", f"{OK_MARK} MNIST is ready in {root}."))
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
