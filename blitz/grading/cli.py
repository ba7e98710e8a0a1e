"""`blitz grade PATH...`: grade a class, one sandbox per (submission, exercise).

Exit status: 0 when grading ran (whatever the scores), 1 when the grader itself failed for some
submission (their reports say so), 2 for bad arguments or an output folder that cannot be written.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, chosen_lang

DESCRIPTION = """\
Grade many submissions without trusting any of them / 批量评分，不信任任何提交。

Each PATH is one submission: a folder holding exercise modules (tensors.py, autograd.py,
data.py, model.py, train.py, evaluate.py, extras.py; any subset). A PATH holding none of them,
but with subfolders of which at least one holds a module, is a class folder: each of its
subfolders is a submission, and its name is the student id. A PATH that does not exist or holds
no module still gets a report, with score 0 and a message naming it.

Every exercise of every submission runs in its own sandboxed process: its own time limit, a
memory limit, no network, a scrubbed environment, a read-only filesystem, and no sight of the
reference solutions, the kit's tests, the other submissions or the reports.

Writes OUT/<student>/results.json (Gradescope format), OUT/grades.csv and OUT/junit.xml; prints a
summary table. A stopped batch resumes: submissions whose results.json matches their files and
the options are not graded again (--force regrades them).
"""

# Graded runs use inputs students never saw: a student release (`blitz release`) carries the expected
# values of the self-check seed 0, so grading with it would reward a table of those values.
GRADING_SEED = 7907

EPILOG = """\
examples / 例子:
  blitz grade submissions/ --out grades/                 # a class folder, one subfolder per student
  blitz grade alice/ bob/ --exercises tensors,autograd   # two students, two exercises
  blitz grade submissions/ --workers 8 --timeout 90
  blitz grade submissions/ --dask tcp://scheduler:8786   # on a Dask cluster
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "grade",
        help="grade many submissions, each in a sandbox (instructors) / 批量评分",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="a submission folder, or a class folder of submission folders"
    )
    p.add_argument("--out", default="blitz-grades", help="where the reports go (default: ./blitz-grades)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="submissions graded at once (default: the number of physical cores); torch threads per "
        "sandbox = cores // workers",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds each exercise may run (default 60); the MNIST pipeline gets max(this, 300)",
    )
    p.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="where student models run (default cpu); cuda only when a GPU is present",
    )
    p.add_argument("--data", default=None, help="folder holding MNIST/raw (default: $BLITZ_DATA or the kit's data/)")
    p.add_argument(
        "--exercises",
        default=None,
        help=f"comma-separated exercise ids to grade (default all: {','.join(e.id for e in registry.EXERCISES)})",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=GRADING_SEED,
        help=f"seed of the checks' random inputs (default {GRADING_SEED}: not a self-check seed, whose expected "
        "values a student release holds)",
    )
    p.add_argument(
        "--epochs", type=int, default=None, help="epochs of the MNIST pipeline (default: the calibrated value)"
    )
    p.add_argument("--memory", type=float, default=3.0, help="memory limit per sandbox in GiB (default 3)")
    p.add_argument("--force", action="store_true", help="regrade submissions that already have matching results")
    p.add_argument("--dask", metavar="ADDRESS", default=None, help="grade on a Dask cluster (scheduler address)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)
    from blitz.grading import similar

    similar.register(subparsers)


def _fail(zh: str, en: str) -> int:
    print(Msg(f"blitz grade: {zh}", f"blitz grade: {en}").render(chosen_lang()), file=sys.stderr)
    return 2


def _writable(out: Path) -> str | None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".blitz-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def run(args: argparse.Namespace) -> int:
    from blitz.engine.fastpath import physical_cores
    from blitz.grading.runner import Options, isolation_text

    # -- arguments
    if args.exercises:
        chosen = [e.strip() for e in args.exercises.split(",") if e.strip()]
        unknown = [e for e in chosen if e not in registry.BY_ID]
        if unknown or not chosen:
            return _fail(
                f"未知的练习 {', '.join(unknown) or '(空)'}；可选：{', '.join(registry.BY_ID)}",
                f"unknown exercise {', '.join(unknown) or '(none given)'}; choose from: {', '.join(registry.BY_ID)}",
            )
        exercises = tuple(e.id for e in registry.EXERCISES if e.id in chosen)
    else:
        exercises = tuple(e.id for e in registry.EXERCISES)
    if args.workers is not None and args.workers < 1:
        return _fail("--workers 至少为 1。", "--workers must be at least 1.")
    if not args.timeout > 0:
        return _fail("--timeout 必须是正数（秒）。", "--timeout must be a positive number of seconds.")
    if not args.memory > 0:
        return _fail("--memory 必须是正数（GiB）。", "--memory must be a positive number of GiB.")
    if args.device == "cuda" and not args.dask:
        import torch

        if not torch.cuda.is_available():
            return _fail(
                "要求 --device cuda，但这台机器没有可用的 CUDA GPU；去掉 --device 用 CPU 评分。",
                "--device cuda was asked for, but this machine has no usable CUDA GPU; drop --device to grade on the CPU.",
            )
    out = Path(args.out).expanduser().resolve()
    problem = _writable(out)
    if problem:
        return _fail(f"无法写入输出文件夹 {out}：{problem}", f"cannot write to the output folder {out}: {problem}")

    from blitz.course import mnist

    data_root = Path(args.data).expanduser().resolve() if args.data else mnist.data_root()
    if any(e in exercises for e in ("data", "pipeline")) and mnist.missing_files(data_root):
        print(
            Msg(
                f"注意：{data_root} 下没有 MNIST，data 和 pipeline 的相关检查会判为失败（评分照常进行）。",
                f"note: no MNIST under {data_root}; the data and pipeline checks that need it will fail "
                "(grading goes on).",
            ).render(chosen_lang()),
            file=sys.stderr,
        )

    # -- submissions
    from blitz.course.progress import SubmissionsProgress
    from blitz.grading.batch import run_batch
    from blitz.grading.discover import discover
    from blitz.grading.names import report_text, terminal
    from blitz.grading.reports import summary_table

    targets = discover(args.paths, exclude=(str(out),))
    for t in targets:
        if t.problem:
            print(report_text(t.problem_message().render(chosen_lang())), file=sys.stderr)
    cores = physical_cores()
    workers = args.workers or cores
    # What no sandbox may see: the reports, every submission and their folders (the kit's secrets
    # are hidden by every IsolatedSubmission).
    hide = [str(out)]
    for t in targets:
        hide += [t.folder, str(Path(t.folder).parent)]
    options = Options(
        exercises=exercises,
        timeout=float(args.timeout),
        device=args.device,
        data_root=str(data_root),
        seed=args.seed,
        epochs=args.epochs,
        memory_bytes=int(args.memory * (1 << 30)),
        threads=0 if args.dask else max(1, cores // workers),
        hide=tuple(dict.fromkeys(hide)),
    )
    progress = SubmissionsProgress(len(targets), enabled=not args.no_progress)
    where = f"Dask {args.dask}" if args.dask else f"{min(workers, max(1, len(targets)))} worker(s)"
    print(
        Msg(
            f"评分 {len(targets)} 份提交（{', '.join(exercises)}），{where}，输出到 {out}",
            f"grading {len(targets)} submission(s) ({', '.join(exercises)}) with {where} into {out}",
        ).render(chosen_lang()),
        file=sys.stderr,
    )
    isolation = isolation_text(options)
    print(Msg(f"隔离：{isolation}", f"isolation: {isolation}").render(chosen_lang()), file=sys.stderr)
    from blitz.grading.batch import STOP

    def _stop(signum, frame):  # a batch stopped by `kill` ends like one stopped with Ctrl-C
        STOP.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        result = run_batch(
            targets,
            options,
            out,
            workers=workers,
            dask=args.dask,
            force=args.force,
            lang=chosen_lang(),
            progress=progress,
        )
    except KeyboardInterrupt:
        print(
            Msg(
                "已中断；已完成的结果已保存，再次运行同一命令会从中断处继续。",
                "interrupted; finished results are saved, and the same command resumes where it stopped.",
            ).render(chosen_lang()),
            file=sys.stderr,
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - e.g. the Dask scheduler cannot be reached
        msg = getattr(exc, "msg", None)
        if isinstance(msg, Msg):
            print(f"blitz grade: {msg.render(chosen_lang())}", file=sys.stderr)
        else:
            print(f"blitz grade: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary_table(result.records))
    print(
        Msg(
            f"报告：{out}/<学生>/results.json、{out / 'grades.csv'}、{out / 'junit.xml'}"
            f"（新评 {result.graded} 份，沿用 {result.reused} 份）",
            f"reports: {out}/<student>/results.json, {out / 'grades.csv'}, {out / 'junit.xml'} "
            f"({result.graded} graded, {result.reused} kept from an earlier run)",
        ).render(chosen_lang())
    )
    if result.grader_errors:
        print(Msg("评分程序自身出错的提交：", "the grader itself failed for:").render(chosen_lang()), file=sys.stderr)
        for line in result.grader_errors:
            print(f"  {terminal(line)}", file=sys.stderr)
        return 1
    return 0
