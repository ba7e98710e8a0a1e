"""What a check is, how it reports, and how it is run.

A check is one plain function ``check(sub, ctx)``: it asks the submission to run probes, compares
what came back with the reference, and raises :class:`CheckFailure` with a message that says what
was called, what came back and what was expected. pytest, notebook test cells, `blitz check` and
`blitz grade` all run the same functions through :func:`run_check`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from blitz.course import registry
from blitz.course.i18n import Msg
from blitz.course.mnist import MnistMissing
from blitz.course.pytorch_errors import explain_error
from blitz.engine.results import CheckResult, Status
from blitz.engine.student_code import StudentError
from blitz.engine.submission import Submission


class CheckFailure(AssertionError):
    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(msg.render())


def fail(zh: str, en: str) -> None:
    raise CheckFailure(Msg(zh, en))


@dataclass(frozen=True)
class CapstoneData:
    """What the grading runner hands the capstone's check: the MNIST folder its sandboxed worker
    sees, and the test labels there (shuffled by a secret permutation, so a submission that reads
    them from disk learns nothing)."""

    worker_data_root: str
    labels_seen: torch.Tensor


@dataclass
class Context:
    """What a check may vary: the device, the data, the seeds, the training budget."""

    device: str = "cpu"
    seed: int = 0
    data_root: str | None = None
    epochs: int | None = None  # None: the calibrated default of the MNIST check
    capstone: CapstoneData | None = None  # None: the worker sees data_root and its true labels


@dataclass(frozen=True)
class Check:
    exercise: str
    name: str
    func: Callable[[Submission, Context], None]
    title: Msg
    weight: int = 1

    @property
    def key(self) -> str:
        return f"{self.exercise}.{self.name}"

    @property
    def max_score(self) -> float:
        siblings = registered(self.exercise)
        return registry.get(self.exercise).points * self.weight / sum(c.weight for c in siblings)

    def result(self, status: Status, message: Msg | None = None, seconds: float = 0.0) -> CheckResult:
        return CheckResult(self.exercise, self.name, self.title, status, self.max_score, message, seconds)


_CHECKS: dict[str, list[Check]] = {}


def check(exercise: str, zh: str, en: str, weight: int = 1):
    """Register a check function for an exercise, in the order of definition."""

    def register(func):
        entry = Check(exercise, func.__name__.removeprefix("check_"), func, Msg(zh, en), weight)
        _CHECKS.setdefault(exercise, []).append(entry)
        return func

    return register


def registered(exercise_id: str) -> list[Check]:
    """The checks registered so far for an exercise (blitz.checks imports them all)."""
    return list(_CHECKS.get(exercise_id, []))


def student_error_message(error: StudentError, exercise_id: str) -> tuple[Msg, str]:
    """Turn a student's exception into words, and a status for the reports."""
    hint_cmd = f"blitz hint {exercise_id}"
    if error.type_name == "NotImplementedError":
        return (
            Msg(
                f"{error.call or exercise_id} 还没有实现（NotImplementedError）。写完函数体再检查；需要提示就运行 `{hint_cmd}`。",
                f"{error.call or exercise_id} is not implemented yet (NotImplementedError). Fill in the body and check "
                f"again; run `{hint_cmd}` for a hint.",
            ),
            "not_done",
        )
    where = f"\n{error.where}" if error.where else ""
    if error.kind == "missing":
        return (
            Msg(f"找不到要检查的代码：{error.message}。", f"The code to check is missing: {error.message}."),
            "error",
        )
    if error.kind == "import":
        return (
            Msg(
                f"导入 {exercise_id}.py 时出错：{error.type_name}: {error.message}{where}\n先让文件能正常导入（python {exercise_id}.py 不应报错）。",
                f"Importing {exercise_id}.py failed: {error.type_name}: {error.message}{where}\nMake the file import "
                f"cleanly first (python {exercise_id}.py should run without errors).",
            ),
            "error",
        )
    if error.kind == "timeout":
        return (
            Msg(
                f"超时：{error.message}。检查有没有死循环，或者训练是不是比需要的多得多。",
                f"Timed out: {error.message}. Look for an endless loop, or training far longer than needed.",
            ),
            "timeout",
        )
    if error.kind == "crashed":
        return (
            Msg(
                f"运行你的代码时评分进程退出了（sys.exit/os._exit、内存超限或崩溃）：{error.message}",
                f"The grading process ended while running your code (sys.exit/os._exit, the memory limit or a crash): "
                f"{error.message}",
            ),
            "crashed",
        )
    explained = explain_error(error.type_name, error.message)
    advice = Msg("\n", "\n") + explained if explained else Msg("", "")
    return (
        Msg(
            f"调用 {error.call} 时抛出了 {error.type_name}: {error.message}{where}",
            f"Calling {error.call} raised {error.type_name}: {error.message}{where}",
        )
        + advice,
        "error",
    )


def run_check(entry: Check, sub: Submission, ctx: Context | None = None) -> CheckResult:
    """Run one check; whatever the student's code does, this returns a result."""
    ctx = ctx or Context()
    started = time.perf_counter()
    message, status = None, Status.PASSED
    try:
        # Checks draw their random inputs from the generator they seed; the parent's state is kept.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed)
            entry.func(sub, ctx)
    except CheckFailure as failure:
        message, status = failure.msg, Status.FAILED
    except StudentError as error:
        message, status = student_error_message(error, entry.exercise)
    except MnistMissing as missing:
        message, status = missing.msg, Status.NO_DATA
    return entry.result(status, message, time.perf_counter() - started)
