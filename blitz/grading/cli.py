"""`blitz grade PATH...`: grade a class, one sandbox per (submission, exercise).

Exit status: 0 when grading ran (whatever the scores), 1 when the grader itself failed for some
submission (their reports say so), 2 for bad arguments or an output folder that cannot be written.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, chosen_lang, tr
from blitz.execution.limits import GRADING_TIMEOUT

DESCRIPTION = """\
Grade many submissions without trusting any of them / 批量评分，不信任任何提交。

Each PATH is one submission: a folder holding exercise modules (tensors.py, autograd.py,
data.py, model.py, train.py, evaluate.py, extras.py; any subset). A PATH holding none of them,
but with subfolders of which at least one holds a module, is a class folder: each of its
subfolders is a submission, and its name is the student id. A PATH that does not exist or holds
no module still gets a report, with score 0 and a message naming it.

Every exercise of every submission runs in its own bubblewrap sandbox (needs the `bubblewrap`
package): as an unprivileged user, with its own time limit, memory and process limits (a cgroup),
no network, a scrubbed environment, a small private tmpfs as the only place it can write, and no
sight of the reference solutions, the kit's tests, the other submissions or the reports (see
SECURITY.md). Without bubblewrap it refuses to grade unless --unsafe-no-sandbox is given.

Writes OUT/<student>/results.json (Gradescope format), OUT/<student>/feedback.md and feedback.html,
OUT/grades.csv, OUT/junit.xml, OUT/checks.csv (points per check) and OUT/lms_grades.csv (Canvas's
gradebook import; Moodle maps it by ID); prints a summary table; writes the class report into OUT/class_report/ (pass rate per check, score histogram,
time per exercise: CSV and PNG; the ten commonest failure messages) and prints its summary. A stopped batch resumes: submissions whose results.json matches their files and
the options are not graded again (--force regrades them).

The reports always describe the whole class: every results.json in OUT, this run's and the kept ones
(--student ID grades only that student; --exercises X on a class already graded keeps each student's
other exercises while their files are unchanged). A submission folder may hold notebooks
(<exercise>.ipynb) instead of modules; a PATH may be a folder of per-student zips, or a Canvas or
Moodle bulk download (its folder or its zip). The course policy (--due, --extensions, --times,
--late-penalty, --late-cap, --grace, --adjustments, --roster) is applied when the reports are
written: changing it re-writes them without grading again.
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
  blitz grade submissions/ --due 2026-12-01T23:59 --late-penalty 10 --extensions ext.csv --roster roster.csv
  blitz grade submissions/ --student alice               # regrade alice; the reports keep the class
  blitz grade canvas_submissions.zip --assignment "Lab 1"  # a Canvas download; lms_grades.csv for Canvas
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
        "paths",
        nargs="+",
        metavar="PATH",
        help="a submission folder, a class folder of them, a folder of per-student zips, or a Canvas or Moodle "
        "download (its folder or its zip)",
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
        default=GRADING_TIMEOUT,
        help=f"seconds each check may run (default {GRADING_TIMEOUT:g}); the MNIST capstone's budget is measured "
        "at the start (6 x the reference's time here, at least 30)",
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
    from blitz.grading import gradebook

    gradebook.add_arguments(p)
    p.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="grade even where bubblewrap cannot confine the workers: student code then runs as your "
        "user and sees the whole machine (only for code you trust) / 没有 bubblewrap 也评分（不安全）",
    )
    p.set_defaults(func=run)
    from blitz.grading import similar

    similar.register(subparsers)


def _fail(msg: Msg) -> int:
    print(tr("blitz grade: {en}", en=msg.en, zh=msg.zh).render(chosen_lang()), file=sys.stderr)
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


def _sandbox_refusal(args: argparse.Namespace) -> int | None:
    """Exit status 2 with a message when no sandbox can be made here and the instructor did not
    ask to grade unconfined; a loud warning when they did."""
    if args.dask:  # the Dask workers' machines decide; each sandbox refuses there by itself
        return None
    from blitz.execution.sandbox.process import INSTALL, isolation_available

    found = isolation_available()
    if found["bwrap"]:
        return None
    why = found["why"]
    if not args.unsafe_no_sandbox:
        return _fail(
            tr(
                "cannot confine student code ({why}). Please {install_1} and try again; only if you trust every submission, pass --unsafe-no-sandbox (student code then runs as your user and sees the whole machine).",
                why=why,
                install_1=INSTALL[1],
                install_0=INSTALL[0],
            ),
        )
    print(
        tr(
            "WARNING: no sandbox ({why}); grading anyway, as --unsafe-no-sandbox asks: student code runs as your user.",
            why=why,
        ).render(chosen_lang()),
        file=sys.stderr,
    )
    return None


def _chosen_exercises(args: argparse.Namespace) -> tuple[str, ...] | None:
    """--exercises in the course's order (all by default); None after saying what is wrong."""
    if not args.exercises:
        return tuple(e.id for e in registry.EXERCISES)
    chosen = [e.strip() for e in args.exercises.split(",") if e.strip()]
    unknown = [e for e in chosen if e not in registry.BY_ID]
    if unknown or not chosen:
        _fail(
            tr(
                "unknown exercise {join_unknown_or_none_given}; choose from: {join_registry_by_id}",
                join_unknown_or_none_given=", ".join(unknown) or "(none given)",
                join_registry_by_id=", ".join(registry.BY_ID),
                join_unknown_or_空=", ".join(unknown) or "(空)",
            ),
        )
        return None
    return tuple(e.id for e in registry.EXERCISES if e.id in chosen)


def _argument_problem(args: argparse.Namespace) -> int | None:
    """Exit status 2 (after saying why) when a number or the device makes no sense here."""
    if args.workers is not None and args.workers < 1:
        return _fail(tr("--workers must be at least 1."))
    if not args.timeout > 0:
        return _fail(tr("--timeout must be a positive number of seconds."))
    if not args.memory > 0:
        return _fail(tr("--memory must be a positive number of GiB."))
    if args.device == "cuda" and not args.dask:
        import torch

        if not torch.cuda.is_available():
            return _fail(
                tr(
                    "--device cuda was asked for, but this machine has no usable CUDA GPU; drop --device to grade on the CPU."
                ),
            )
    return None


def _say(msg: Msg, stream=None) -> None:
    """A line for the instructor, on stderr unless `stream` says otherwise (looked up when called)."""
    print(msg.render(chosen_lang()), file=stream or sys.stderr)


def _data_root(args: argparse.Namespace, exercises: tuple[str, ...]) -> Path:
    from blitz.course import mnist

    data_root = Path(args.data).expanduser().resolve() if args.data else mnist.data_root()
    reads_mnist = any(registry.get(e).reads_mnist for e in exercises)
    if reads_mnist and mnist.missing_files(data_root):
        _say(
            tr(
                "note: no MNIST under {data_root}; the data and pipeline checks that need it will fail (grading goes on).",
                data_root=data_root,
            ),
        )
    elif reads_mnist and not args.unsafe_no_sandbox and os.geteuid() == 0:
        closed = hidden_from_others(data_root / "MNIST" / "raw")
        if closed:
            _say(
                tr(
                    "note: the sandbox's user (nobody, uid 65534) cannot read {closed}, so everyone's data and pipeline checks would fail (grading goes on). Make it readable with chmod o+rX (the folders above it too).",
                    closed=closed,
                ),
            )
    return data_root


def hidden_from_others(folder: Path) -> Path | None:
    """The first folder on the way to `folder` (or file in it) that a user other than its owner cannot
    pass or read: the sandboxed worker runs as nobody and sees the data through the same permissions."""
    import stat

    parts = [*reversed(folder.parents), folder]
    for part in parts:
        try:
            mode = part.stat().st_mode
        except OSError:
            return None  # not there: the missing-data note speaks for it
        if not mode & stat.S_IXOTH:
            return part
    for item in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            if item.is_file() and not item.stat().st_mode & stat.S_IROTH:
                return item
        except OSError:
            continue
    return None


def _options(args, exercises: tuple[str, ...], out: Path, targets, data_root: Path, workers: int, cores: int, origin):
    from blitz.grading.runner import Options

    # What no sandbox may see: the reports, every submission and their folders, staged or not (the
    # kit's secrets are hidden by every SandboxSession).
    hide = [str(out)]
    for folder in [t.folder for t in targets] + list(origin.values()):
        hide += [folder, str(Path(folder).parent)]
    return Options(
        exercises=exercises,
        timeout=float(args.timeout),
        device=args.device,
        data_root=str(data_root),
        seed=args.seed,
        epochs=args.epochs,
        memory_bytes=int(args.memory * (1 << 30)),
        threads=0 if args.dask else max(1, cores // workers),
        hide=tuple(dict.fromkeys(hide)),
        unsafe=bool(args.unsafe_no_sandbox),
    )


def _grade(args: argparse.Namespace, targets, options, out: Path, workers: int, course):
    """run_batch, stopped cleanly by Ctrl-C or SIGTERM: its result, or the exit status to return."""
    from blitz.course.progress import SubmissionsProgress
    from blitz.grading.batch import STOP, run_batch

    def _stop(signum, frame):  # a batch stopped by `kill` ends like one stopped with Ctrl-C
        STOP.set()
        raise KeyboardInterrupt

    progress = SubmissionsProgress(len(targets), enabled=not args.no_progress)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return run_batch(
            targets,
            options,
            out,
            workers=workers,
            dask=args.dask,
            force=args.force,
            lang=chosen_lang(),
            progress=progress,
            course=course,
            say=_say,
        )
    except KeyboardInterrupt:
        _say(
            tr("interrupted; finished results are saved, and the same command resumes where it stopped."),
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - e.g. the Dask scheduler cannot be reached
        msg = getattr(exc, "msg", None)
        text = msg.render(chosen_lang()) if isinstance(msg, Msg) else f"{type(exc).__name__}: {exc}"
        print(f"blitz grade: {text}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report(result, out: Path) -> int:
    from blitz.course.figures import font_missing
    from blitz.grading.class_report import FOLDER, summary_text
    from blitz.grading.names import report_text, terminal
    from blitz.grading.reports import summary_table

    print(summary_table(result.records, result.finals or None))
    print(summary_text(result.records, chosen_lang()))
    _say(
        tr(
            "reports: {out}/<student>/results.json, {out_grades_csv}, {out_junit_xml} ({result_graded} graded, {result_reused} kept from an earlier run)",
            out=out,
            out_grades_csv=out / "grades.csv",
            out_junit_xml=out / "junit.xml",
            result_graded=result.graded,
            result_reused=result.reused,
        ),
        stream=sys.stdout,
    )
    if result.class_report:
        names = ", ".join(result.class_report)
        _say(tr("class report: {out_folder}/ ({names})", out_folder=out / FOLDER, names=names), stream=sys.stdout)
        no_font = font_missing(chosen_lang())
        if no_font is not None:
            _say(tr("note: {no_font_en}.", no_font_en=no_font.en, no_font_zh=no_font.zh), stream=sys.stdout)
    else:
        why = terminal(result.class_report_error)
        _say(
            tr(
                "the class report could not be written ({why}); the grades stand. Fix matplotlib and run the same command again to write it.",
                why=why,
            ),
        )
    for note in result.notes:
        _say(
            tr(
                "note: {report_text_note_en}",
                report_text_note_en=report_text(note.en),
                report_text_note_zh=report_text(note.zh),
            )
        )
    if result.grader_errors:
        _say(tr("the grader itself failed for:"))
        for line in result.grader_errors:
            print(f"  {terminal(line)}", file=sys.stderr)
        return 1
    return 0


def _course(args: argparse.Namespace, out: Path):
    """The course's rules (gradebook.Course), or exit status 2 after naming the bad file and line."""
    from blitz.grading import gradebook
    from blitz.grading.policy import PolicyError

    try:
        return gradebook.load(args, out)
    except PolicyError as exc:
        return _fail(exc.msg)


def run(args: argparse.Namespace) -> int:
    from blitz.course.cores import physical_cores
    from blitz.grading import gradebook
    from blitz.grading.discover import discover
    from blitz.grading.names import report_text
    from blitz.grading.runner import isolation_text

    exercises = _chosen_exercises(args)
    if exercises is None:
        return 2
    problem = _argument_problem(args) or _sandbox_refusal(args)
    if problem:
        return problem
    out = Path(args.out).expanduser().resolve()
    unwritable = _writable(out)
    if unwritable:
        return _fail(tr("cannot write to the output folder {out}: {unwritable}", out=out, unwritable=unwritable))
    course = _course(args, out)
    if isinstance(course, int):
        return course
    data_root = _data_root(args, exercises)
    paths, said_before = gradebook.stage(args.paths, out, course)
    found = discover(paths, exclude=(str(out),))
    gradebook.the_class(paths, found, course)
    targets, unknown = gradebook.only(found, args.student)
    if unknown:
        return _fail(tr("--student: no {join_unknown} in the class.", join_unknown=", ".join(unknown)))
    targets, said_after = gradebook.with_notebooks(targets, out, course)
    for note in said_before + said_after:
        print(report_text(note.render(chosen_lang())), file=sys.stderr)
    for t in targets:
        if (said := t.problem_message()) is not None:
            print(report_text(said.render(chosen_lang())), file=sys.stderr)
    cores = physical_cores()
    workers = args.workers or cores
    options = _options(args, exercises, out, targets, data_root, workers, cores, course.origin)
    where = f"Dask {args.dask}" if args.dask else f"{min(workers, max(1, len(targets)))} worker(s)"
    _say(
        tr(
            "grading {len_targets} submission(s) ({join_exercises}) with {where} into {out}",
            len_targets=len(targets),
            join_exercises=", ".join(exercises),
            where=where,
            out=out,
        ),
    )
    isolation = isolation_text(options)
    _say(tr("isolation: {isolation}", isolation=isolation))
    from blitz.grading.capstone_budget import for_grade

    options, said = for_grade(options, bool(args.dask))  # measured now (Dask) or by the batch
    if said is not None:
        _say(said)
    result = _grade(args, targets, options, out, workers, course)
    return result if isinstance(result, int) else _report(result, out)
