"""Grade one submission, once: one snapshot, one sandbox, a fresh child per exercise, judged here.

:func:`grade_once` is the one way a submission is graded (`blitz grade`'s :func:`grade_submission`,
which a local pool process or a Dask worker runs for each student; the Gradescope runner; the kit's
scores of nbgrader notebooks): its files are read once into a snapshot, which is fingerprinted and
copied into its sandbox.
It never imports the student's code: the submission gets one
:class:`blitz.execution.sandbox.session.SandboxSession` (a warm worker in a
:class:`blitz.execution.sandbox.process.Sandbox`, started on first use), each exercise an
:class:`IsolatedSubmission` (a fresh child of that worker, its own time budget); the checks run in
this trusted process and compare what the probes return with the reference. The result is a
:class:`blitz.engine.results.SubmissionResult` (the *record*), which :mod:`blitz.grading.reports`
turns into results.json, CSV and JUnit rows.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import blitz
from blitz.course import registry
from blitz.course.cores import physical_cores
from blitz.course.i18n import Msg, tr
from blitz.course.mnist import RAW_FILES
from blitz.engine.results import CheckResult, Status, SubmissionResult, by_exercise
from blitz.execution import files
from blitz.execution.limits import GRADING_TIMEOUT, grading_budget
from blitz.execution.sandbox.process import SandboxPolicy, describe_isolation, outermost
from blitz.execution.sandbox.view import essentials
from blitz.grading import budget_share
from blitz.grading.discover import Target, recheck

if TYPE_CHECKING:
    import torch

MNIST_TEST_LABELS = RAW_FILES[False][1]  # the true test labels: what a worker must never read


@dataclass(frozen=True)
class Options:
    """Everything that decides a grade (and the fingerprint that lets a batch resume)."""

    exercises: tuple[str, ...] = tuple(e.id for e in registry.EXERCISES)
    timeout: float = GRADING_TIMEOUT
    device: str = "cpu"
    data_root: str = ""
    seed: int = 0
    epochs: int | None = None
    memory_bytes: int = 3 << 30
    threads: int = 0  # torch threads per worker; 0: decided where the grading runs
    hide: tuple[str, ...] = ()  # more paths no worker may see (the out dir, the other submissions...)
    unsafe: bool = False  # --unsafe-no-sandbox: run workers even where bubblewrap cannot confine them
    # The capstone's budget measured at the start of this run (blitz/grading/capstone_budget.py); 0: the
    # registry's. Not decisive: a measurement varies, and a stopped batch resumes under a new one.
    capstone_budget: float = 0.0

    def budget(self, exercise_id: str) -> float:
        if exercise_id == registry.CAPSTONE.id:
            if self.capstone_budget > 0:
                return self.capstone_budget
            if self.capstone_budget == budget_share.MEASURING:  # the pool's first task measures it
                return budget_share.awaited(self.budget_default())
        return grading_budget(exercise_id, self.timeout)

    def budget_default(self) -> float:
        """The capstone's budget without a measurement: the registry's (or --timeout, if longer)."""
        return grading_budget(registry.CAPSTONE.id, self.timeout)

    def decisive(self) -> dict:
        """The options a grade depends on (not the language, not how many workers)."""
        return {
            "exercises": list(self.exercises),
            "timeout": self.timeout,
            "device": self.device,
            "data_root": self.data_root,
            "seed": self.seed,
            "epochs": self.epochs,
            "memory_bytes": self.memory_bytes,
        }


# ---------------------------------------------------------------------------------------------- helpers


def fingerprint(target: Target, options: Options) -> str:
    """sha256 of the Python files (read by the lstat rules of blitz.execution.files), kit version, options."""
    return files.fingerprint(target.folder, target.problem, options.decisive(), blitz.__version__)


def sandbox_view(hides, keep_extra=()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(hide_paths, keep_paths) for a worker: it sees the essentials (its Python, torch, the kit's
    package) and `keep_extra` (the data), read-only; every path of `hides` that lies inside one of
    them is covered. Nothing else of the host is in its sandbox at all."""
    keeps = outermost([*essentials(), *(k for k in keep_extra if k)])
    out = [os.path.realpath(h) for h in hides if h]
    return tuple(dict.fromkeys(out)), tuple(keeps)


# ---------------------------------------------------------------------------------------------- MNIST


def private_mnist(real_root: Path, dest: Path) -> torch.Tensor:
    """A data root for the capstone's worker: the real images (symlinks), the real training labels,
    and test labels shuffled by a secret permutation. Returns the shuffled labels as a tensor.

    A submission that reads the test labels from disk to fake its predictions learns nothing."""
    import torch
    from torchvision.datasets.mnist import read_label_file

    from blitz.course.mnist import write_idx

    raw_real = real_root / "MNIST" / "raw"
    raw = dest / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in (*RAW_FILES[True], RAW_FILES[False][0]):
        os.symlink(raw_real / name, raw / name)
    labels = read_label_file(str(raw_real / MNIST_TEST_LABELS))
    generator = torch.Generator().manual_seed(secrets.randbits(62))
    shuffled = labels[torch.randperm(len(labels), generator=generator)]
    write_idx(raw / MNIST_TEST_LABELS, shuffled)
    return shuffled


def test_label_files(root: Path) -> list[str]:
    """Every file under root/MNIST that holds the true test labels (raw, gzipped, old processed/)."""
    mnist = root / "MNIST"
    found = [str(p) for p in (mnist / "raw").glob("t10k-labels*")] if (mnist / "raw").is_dir() else []
    if (mnist / "processed").exists():
        found.append(str(mnist / "processed"))
    return found


# ---------------------------------------------------------------------------------------------- records


def make_record(
    target: Target,
    options: Options,
    checks: list[CheckResult],
    status: Status,
    digest: str,
    message: Msg | None = None,
    seconds: float = 0.0,
    isolation: str = "",
) -> SubmissionResult:
    """The record; `digest` is the fingerprint taken before grading (a file changed meanwhile must
    not pair its new hash with the grade of the old one)."""
    return SubmissionResult(
        student=target.student,
        folder=target.folder,
        fingerprint=digest,
        status=status,
        exercises=by_exercise(checks, options.exercises),
        message=message,
        seconds=seconds,
        isolation=isolation,
        device=options.device,
        kit_version=blitz.__version__,
    )


def zero_record(
    target: Target, options: Options, message: Msg, status: Status, digest: str | None = None
) -> SubmissionResult:
    """Every check at 0 with one message: a missing folder, an empty one, a grader failure."""
    from blitz.checks import checks_for

    each = Status.ERROR if status is Status.ERROR else Status.MISSING
    checks = [c.result(each, message) for e in options.exercises for c in checks_for(e)]
    digest = digest if digest is not None else fingerprint(target, options)
    return make_record(target, options, checks, status, digest, message)


def grader_error_record(
    target: Target, options: Options, exc: BaseException, on_dask: bool = False
) -> SubmissionResult:
    """The record of a submission the grader itself failed on (not the student's code)."""
    what = f"{type(exc).__name__}: {exc}"
    zh, en = ("在 Dask 上", " on Dask") if on_dask else ("", "")
    message = tr("The grader failed{en} (not the student's code): {what}", en=en, what=what, zh=zh)
    return zero_record(target, options, message, Status.ERROR)


def isolation_text(options: Options) -> str:
    """What every sandbox of this batch gets on this machine (with the batch's memory limit)."""
    return describe_isolation(
        SandboxPolicy(memory_bytes=options.memory_bytes, disk_bytes=disk_bytes(options), unsafe=options.unsafe)
    )


def disk_bytes(options: Options) -> int:
    """The size of a worker's tmpfs: its pages count as its memory too."""
    return min(512 << 20, options.memory_bytes // 4)


# ---------------------------------------------------------------------------------------------- grading


def _missing_modules(folder: Path, exercise_id: str) -> list[str]:
    return [f"{n}.py" for n in registry.get(exercise_id).modules if not (folder / f"{n}.py").is_file()]


def _missing_message(exercise_id: str, missing: list[str]) -> Msg:
    from blitz.engine.feedback import student_error_message
    from blitz.engine.student_code import StudentError

    names = ", ".join(missing)
    if registry.get(exercise_id).inputs:
        return tr("The end-to-end pipeline needs {names}, which the submission lacks.", names=names)
    error = StudentError(
        "FileNotFoundError", f"{names} is not in the submission", call=f"import {exercise_id}", kind="missing"
    )
    return student_error_message(error, exercise_id)[0]


def judge_check(entry, sub, ctx) -> CheckResult:
    """One check; whatever goes wrong becomes this check's result, never the batch's."""
    from blitz.checks import run_check
    from blitz.execution.sandbox.isolated import WorkerStartError

    started = time.perf_counter()
    try:
        result = run_check(entry, sub, ctx)
    except WorkerStartError as exc:  # the grader could not start its sandbox: not the student's fault
        message = tr("The grader failed before running your code ({exc}). Please tell your instructor.", exc=exc)
        return entry.result(Status.ERROR, message, time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - must not stop the batch
        # The reference passes every check, so a check that cannot read a probe's answer was handed
        # something the kit never returns: the student's code changed the kit inside its worker.
        text = f"{type(exc).__name__}: {exc}"[:300]
        message = tr(
            "The check could not read what came back from your code ({text}). Did your code change the kit's modules or the values they return?",
            text=text,
        )
        return entry.result(Status.FAILED, message, time.perf_counter() - started)
    # The grader's missing data is reported as the grader's error: not the student's fault, but no points.
    return replace(result, status=Status.ERROR) if result.status is Status.NO_DATA else result


def grade_exercise(
    target: Target, exercise_id: str, options: Options, session, ctx, seeds: tuple[int, ...] = ()
) -> list[CheckResult]:
    """Every check of one exercise, once per seed of `seeds` (default: the context's), in that order;
    its probes in a fresh child of the submission's sandbox, whose time budget grows with the runs."""
    from blitz.checks import checks_for
    from blitz.course.mnist import MnistMissing, require
    from blitz.execution.sandbox.isolated import IsolatedSubmission

    seeds = seeds or (ctx.seed,)
    entries = checks_for(exercise_id)
    missing = _missing_modules(Path(target.folder), exercise_id)
    if missing:  # no child to start: say what is missing
        message = _missing_message(exercise_id, missing)
        return [c.result(Status.MISSING, message) for _ in seeds for c in entries]
    if registry.get(exercise_id).needs_mnist and ctx.capstone is None:
        try:
            require(Path(ctx.data_root) if ctx.data_root else None)
        except MnistMissing as exc:
            return [c.result(Status.ERROR, exc.msg) for _ in seeds for c in entries]
    budget = options.budget(exercise_id) * len(seeds)
    sub = IsolatedSubmission(target.folder, exercise_id, timeout=budget, session=session)
    try:
        return [judge_check(entry, sub, replace(ctx, seed=seed)) for seed in seeds for entry in entries]
    finally:
        sub.close()


def _needs_data(target: Target, options: Options) -> bool:
    """Does a graded exercise of this submission read MNIST (so its sandbox gets the private copy)?"""
    folder = Path(target.folder)
    return any(registry.get(e).reads_mnist and not _missing_modules(folder, e) for e in options.exercises)


def submission_sandbox(target: Target, options: Options, scratch: Path, threads: int, taken=None):
    """The submission's one sandbox (started on first use) and the checks' context.

    Its view: the essentials, the data and its own code. Where an exercise reads MNIST, the data it
    sees is a private copy whose test labels are shuffled by a secret permutation (the true ones are
    covered), for every exercise of the submission: they share the sandbox."""
    from blitz.checks import CapstoneData, Context
    from blitz.course.mnist import MnistMissing, default_root, require
    from blitz.execution.sandbox.session import SandboxSession
    from blitz.execution.sandbox.view import gpu_devices

    data_root = Path(options.data_root) if options.data_root else None
    ctx = Context(
        device=options.device, seed=options.seed, data_root=str(data_root) if data_root else None, epochs=options.epochs
    )
    hides = list(options.hide) + [str(scratch), tempfile.gettempdir()]
    keep = [str(data_root)] if data_root else []
    real = None
    if _needs_data(target, options):
        try:
            real = require(data_root)
        except MnistMissing:  # the checks that need it say so
            real = None
    if real is not None:
        shuffled = private_mnist(real, scratch / "data")
        ctx = replace(ctx, capstone=CapstoneData(worker_data_root=str(scratch / "data"), labels_seen=shuffled))
        keep.append(str(scratch / "data"))
        for root in {real.resolve(), default_root().resolve()}:
            hides += test_label_files(root)
    cuda = {"CUDA_VISIBLE_DEVICES": os.environ["CUDA_VISIBLE_DEVICES"]} if "CUDA_VISIBLE_DEVICES" in os.environ else {}
    hide_paths, keep_paths = sandbox_view(hides, keep)
    policy = SandboxPolicy(
        memory_bytes=options.memory_bytes,
        cpu_threads=threads,
        network=False,
        hide_paths=hide_paths,
        keep_paths=keep_paths,
        extra_env={"CUDA_VISIBLE_DEVICES": ""} if options.device == "cpu" else cuda,
        disk_bytes=disk_bytes(options),
        devices=tuple(gpu_devices()) if options.device != "cpu" else (),
        unsafe=options.unsafe,
    )
    session = SandboxSession(target.folder, policy=policy, workdir=scratch / "sandbox", snapshot=taken)
    return session, ctx


def _start(session) -> None:
    """Start the submission's sandbox now, before any exercise: its start-up (seconds) is the grader's,
    not the first exercise's, so the class report's times compare the students' code. A sandbox that
    cannot start is said by the first exercise that needs it, as when it starts on first use."""
    from blitz.execution.sandbox.isolated import WorkerStartError

    try:
        session.start()
    except WorkerStartError:
        pass


def grade_in_sandbox(
    target: Target, options: Options, seeds: tuple[int, ...] = (), taken=None, judge=None
) -> dict[str, list[CheckResult]]:
    """Each exercise's results (per seed of `seeds`, default options.seed, in that order; or what
    `judge`, called as :func:`grade_exercise`, gives), all from the submission's one sandbox, which
    is gone, with its scratch folder, when this returns. `taken`: the submission's snapshot."""
    import torch

    from blitz.engine.imports import warm_torch
    from blitz.execution.sandbox.isolated import remove_tree
    from blitz.execution.scratch import make as owned_scratch

    warm_torch()  # torchvision: the checks of data and the capstone use it here too; once per process
    threads = options.threads or _threads_here()
    # This process's own torch work (the reference, the trusted predictions) gets the grading worker's
    # share of the cores too: with more, its idle OpenMP threads spin on cores the sandboxes need
    # (measured: 8 submissions on 2 workers, 2 cores: 37.6 s with torch's default of 2, 31.1 s with 1).
    torch.set_num_threads(threads)
    scratch = owned_scratch("blitz-grade-")  # named by this process; a killed grader's are swept
    results: dict[str, list[CheckResult]] = {}
    session = None
    try:
        session, ctx = submission_sandbox(target, options, scratch, threads, taken)
        _start(session)
        for exercise_id in options.exercises:
            results[exercise_id] = (judge or grade_exercise)(target, exercise_id, options, session, ctx, seeds)
    finally:
        if session is not None:
            session.close()
        remove_tree(scratch)
    return results


@dataclass(frozen=True)
class Graded:
    """One submission graded once: its record, and every exercise's results as run (all seeds)."""

    record: SubmissionResult
    runs: dict[str, list[CheckResult]]
    apart: dict[str, list[CheckResult]] = field(default_factory=dict)  # `apart`'s seeds, in a sandbox of their own


def first_run(exercise_id: str, rows: list[CheckResult]) -> list[CheckResult]:
    """The rows of the record: the first seed's run of each check."""
    from blitz.checks import checks_for

    return rows[: len(checks_for(exercise_id))]


def grade_once(
    target: Target,
    options: Options,
    seeds: tuple[int, ...] = (),
    judge=None,
    pick=first_run,
    apart: tuple[int, ...] = (),
) -> Graded:
    """Grade one submission, once: what `blitz grade`, the Gradescope runner and the nbgrader path call.

    Its files are looked at again (a file may have become a link or a FIFO since discovery), read
    once into a snapshot (lstat, no link, size caps: :func:`blitz.execution.files.snapshot`), the
    snapshot fingerprinted, the same snapshot copied into the submission's one sandbox and run there
    (every exercise, each seed of `seeds`, or `judge`), and recorded (`pick` chooses each exercise's
    rows of the record from its runs). The seeds of `apart` run first, from the same snapshot, in a
    sandbox of their own that is gone before the graded run's starts (Gradescope's self-checks: nothing
    the graded run computes exists while what students see before publication is made)."""
    started = time.perf_counter()
    target = recheck(target)
    taken = files.snapshot(target.folder) if not target.problem else files.Snapshot(target.folder)
    digest = taken.digest(target.problem, options.decisive(), blitz.__version__)
    problem = target.problem_message()
    if problem is not None:
        status = {"missing": Status.MISSING, "unsafe": Status.REFUSED, "collision": Status.REFUSED}.get(
            target.problem, Status.EMPTY
        )
        return Graded(zero_record(target, options, problem, status, digest), {})
    shown = grade_in_sandbox(target, options, apart, taken, judge) if apart else {}
    runs = grade_in_sandbox(target, options, seeds, taken, judge)
    checks = [row for exercise_id, rows in runs.items() for row in pick(exercise_id, rows)]
    seconds = time.perf_counter() - started
    record = make_record(target, options, checks, Status.GRADED, digest, None, seconds, isolation_text(options))
    return Graded(record, runs, shown)


def grade_submission(target: Target, options: Options) -> SubmissionResult:
    """The record of one submission. Runs wherever the batch puts it (pool process, Dask worker)."""
    return grade_once(target, options).record


def _threads_here() -> int:
    """On a Dask worker: its cores shared among the tasks it runs at once."""
    tasks = 1
    try:
        from distributed import get_worker

        tasks = max(1, int(get_worker().state.nthreads))
    except Exception:  # noqa: BLE001 - not on a Dask worker
        pass
    return max(1, physical_cores() // tasks)
