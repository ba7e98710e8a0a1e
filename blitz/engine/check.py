"""What a check is, how it reports, and how it is run.

A check is one plain function ``check(sub, ctx)``: it asks the submission to run probes, compares
what came back with the reference, and raises :class:`CheckFailure` with a message that says what
was called, what came back and what was expected. pytest, notebook test cells, `blitz check` and
`blitz grade` all run the same functions through :func:`run_check`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from blitz.course import registry
from blitz.course.i18n import Msg
from blitz.course.mnist import MnistMissing
from blitz.course.pytorch_errors import explain_error
from blitz.engine.student_code import StudentError
from blitz.engine.submission import Submission


class CheckFailure(AssertionError):
    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(msg.render())


def fail(zh: str, en: str) -> None:
    raise CheckFailure(Msg(zh, en))


@dataclass
class Context:
    """What a check may vary: the device, the data, the seeds, the training budget."""

    device: str = "cpu"
    seed: int = 0
    data_root: str | None = None
    epochs: int | None = None  # None: the calibrated default of the MNIST check


@dataclass(frozen=True)
class Check:
    exercise: str
    name: str
    func: Callable[[Submission, Context], None]
    title: Msg
    weight: int = 1
    # Hidden checks exist for nbgrader's hidden tests; students see their results only after grading.
    hidden: bool = False

    @property
    def key(self) -> str:
        return f"{self.exercise}.{self.name}"

    @property
    def max_score(self) -> float:
        siblings = registered(self.exercise)
        return registry.get(self.exercise).points * self.weight / sum(c.weight for c in siblings)


_CHECKS: dict[str, list[Check]] = {}


def check(exercise: str, zh: str, en: str, weight: int = 1, hidden: bool = False):
    """Register a check function for an exercise, in the order of definition."""

    def register(func):
        entry = Check(exercise, func.__name__.removeprefix("check_"), func, Msg(zh, en), weight, hidden)
        _CHECKS.setdefault(exercise, []).append(entry)
        return func

    return register


def registered(exercise_id: str) -> list[Check]:
    """The checks registered so far for an exercise (blitz.checks imports them all)."""
    return list(_CHECKS.get(exercise_id, []))


@dataclass
class CheckResult:
    key: str
    exercise: str
    name: str
    title: Msg
    passed: bool
    score: float
    max_score: float
    message: Msg | None = None
    seconds: float = 0.0
    hidden: bool = False
    # "passed", "failed", "not_done" (a stub), "error" (student code raised), "crashed", "timeout",
    # "no_data" (MNIST is not where the kit looks: not the student's fault, but not a pass either)
    status: str = "passed"
    extra: dict[str, Any] = field(default_factory=dict)


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
    message, status = None, "passed"
    try:
        # Checks draw their random inputs from the generator they seed; the parent's state is kept.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed)
            entry.func(sub, ctx)
    except CheckFailure as failure:
        message, status = failure.msg, "failed"
    except StudentError as error:
        message, status = student_error_message(error, entry.exercise)
    except MnistMissing as missing:
        message, status = missing.msg, "no_data"
    passed = status == "passed"
    return CheckResult(
        key=entry.key,
        exercise=entry.exercise,
        name=entry.name,
        title=entry.title,
        passed=passed,
        score=entry.max_score if passed else 0.0,
        max_score=entry.max_score,
        message=message,
        seconds=time.perf_counter() - started,
        hidden=entry.hidden,
        status=status,
    )
