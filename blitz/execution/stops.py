"""How a run of student code can stop short, in words: the one time-out and crash vocabulary.

Both placements that fork a child use it: the local supervisor (:mod:`blitz.execution.supervise`)
turns a stop into a check's result with these messages (status "timeout", "crashed" or "error");
the sandboxed placement (:mod:`blitz.execution.sandbox.isolated`) raises the same stops as a
:class:`~blitz.engine.student_code.StudentError` of kind "timeout" or "crashed", which
:func:`blitz.engine.check.run_check` scores with the same statuses.
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

from blitz.course.i18n import Msg

if TYPE_CHECKING:  # it imports torch; the front ends that use the messages must not
    from blitz.engine.student_code import StudentError


def how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"signal {signal.Signals(number).name}: {signal.strsignal(number)}"
        except ValueError:
            return f"signal {number}"
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return f"status {status}"


def how_code(code: int) -> str:
    """:func:`how_it_ended` for an exit code as ``os.waitstatus_to_exitcode`` gives it (-N: signal N)."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}: {signal.strsignal(-code)}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def timeout_msg(running: str, limit: float) -> Msg:
    return Msg(
        f"{running} 运行超过了 {limit:g} 秒，被停止了：是不是有死循环？",
        f"{running} ran longer than {limit:g} s and was stopped — an endless loop?",
    )


def crash_msg(running: str, how: str) -> Msg:
    return Msg(
        f"运行 {running} 时进程退出了（{how}）：你的代码调用了 os._exit/sys.exit，或者让 Python 崩溃了。其余检查照常评分。",
        f"The process ended while running {running} ({how}): your code called os._exit/sys.exit or crashed "
        "Python. The other checks are scored as usual.",
    )


def not_run_msg(why: Msg) -> Msg:
    return Msg("没有运行：", "Not run: ") + why


def engine_msg(detail: str) -> Msg:
    return Msg(
        f"运行检查的进程意外停止了（{detail}）。再试一次；如果一直这样，运行 `blitz doctor`。",
        f"The process running the checks stopped unexpectedly ({detail}). Try again; if it keeps happening, run `blitz doctor`.",
    )


def timeout_error(budget: float) -> StudentError:
    """The sandboxed placement: the check's budget is used up (each check has its own)."""
    from blitz.engine.student_code import StudentError

    return StudentError(
        "Timeout", f"time limit of {budget:.0f} s for this check used up (an endless loop?)", kind="timeout"
    )


def crash_error(detail: str, output: str, memory_gib: float | None = None) -> StudentError:
    """The sandboxed placement: the process running the student's code ended (`detail`: how);
    `memory_gib`: it was killed at that memory limit."""
    from blitz.engine.student_code import StudentError

    if memory_gib is not None:
        detail += f", killed at the memory limit of {memory_gib:g} GiB"
    return StudentError(
        "WorkerCrashed",
        f"the grading process ended while running your code ({detail}); last output: {output.strip()[-300:]!r}",
        kind="crashed",
    )


def too_many_crashes() -> StudentError:
    from blitz.engine.student_code import StudentError

    return StudentError("WorkerCrashed", "the code crashed the grading process too many times", kind="crashed")


def local_timeout(running: str, limit: float) -> StudentError:
    """The local placement: `running` (the student function that ran) used up its check's `limit`."""
    from blitz.engine.student_code import StudentError

    said = timeout_msg(running, limit)
    return StudentError("Timeout", said.en, call=running, kind="timeout", said=said)


def local_crash(running: str, how: str) -> StudentError:
    """The local placement: the child died while `running` ran (`how`: its exit status or signal)."""
    from blitz.engine.student_code import StudentError

    said = crash_msg(running, how)
    return StudentError("WorkerCrashed", said.en, call=running, kind="crashed", said=said)
