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

from blitz.course.i18n import Msg, tr

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


# A run stopped by its time limit that printed more than this many lines was printing a lot: the message
# shows what it printed (first and last lines) and says that printing every step is slow (issue 22.4).
MANY_LINES = 20
SHOWN_LINES = 10  # the first and the last lines shown of a sandboxed run's output
PRINTING_SLOW = tr(
    "Your code printed a lot (its first and last lines are above). Printing at every step is slow and can stall training: print once per epoch, or not at all."
)


def printed_a_lot(printed: dict | None) -> bool:
    """Did a run print more than MANY_LINES lines? (`printed`: blitz.execution.output.Printed.as_dict())"""
    if not printed:
        return False
    return len(printed.get("head", [])) + len(printed.get("tail", [])) + int(printed.get("omitted", 0)) > MANY_LINES


def timeout_msg(running: str, limit: float, printed: dict | None = None) -> Msg:
    """A run stopped by its time limit; with what it printed when that was a lot (`printed`: Printed.as_dict())."""
    msg = tr("{running} ran longer than {limit:g} s and was stopped — an endless loop?", running=running, limit=limit)
    if not printed_a_lot(printed):
        return msg
    from blitz.execution.output import printed_lines

    zh, en = "\n".join(printed_lines(printed, lang="zh")), "\n".join(printed_lines(printed, lang="en"))
    return msg + tr("\nWhat it printed:\n{en}\n", en=en, zh=zh) + PRINTING_SLOW


def crash_msg(running: str, how: str) -> Msg:
    return tr(
        "The process ended while running {running} ({how}): your code called os._exit/sys.exit or crashed Python. The other checks are scored as usual.",
        running=running,
        how=how,
    )


def not_run_msg(why: Msg) -> Msg:
    return tr("Not run: ") + why


def engine_msg(detail: str) -> Msg:
    return tr(
        "The process running the checks stopped unexpectedly ({detail}). Try again; if it keeps happening, run `blitz doctor`.",
        detail=detail,
    )


def printed_excerpt(output: str) -> str:
    """A sandboxed run's output (blitz.execution.output.Drain.text()) when it printed a lot: its first and
    last SHOWN_LINES lines (each cut), with how many were left out; "" when it printed little."""
    lines = output.splitlines()
    if len(lines) <= MANY_LINES and "bytes left out" not in output:
        return ""
    cut = [line if len(line) <= 300 else line[:300] + " …" for line in lines]
    left_out = len(cut) - 2 * SHOWN_LINES
    middle = [f"… {left_out}+ …"] if left_out > 0 else []
    return "\n".join(["  | " + line for line in cut[:SHOWN_LINES] + middle + cut[-SHOWN_LINES:]])


def timeout_error(budget: float, output: str = "") -> StudentError:
    """The sandboxed placement: the check's budget is used up (each check has its own); `output`: what
    the worker printed (when that was a lot, the error carries its first and last lines in `where`,
    and the message says so)."""
    from blitz.engine.student_code import StudentError

    excerpt = printed_excerpt(output)
    return StudentError(
        "TimeoutWhilePrinting" if excerpt else "Timeout",
        f"time limit of {budget:.0f} s for this check used up (an endless loop?)",
        where=excerpt,
        kind="timeout",
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


def local_timeout(running: str, limit: float, printed: dict | None = None) -> StudentError:
    """The local placement: `running` (the student function that ran) used up its check's `limit`;
    `printed`: what the check's children printed (Printed.since()), shown when that was a lot."""
    from blitz.engine.student_code import StudentError

    said = timeout_msg(running, limit, printed)
    return StudentError("Timeout", said.en, call=running, kind="timeout", said=said)


def local_crash(running: str, how: str) -> StudentError:
    """The local placement: the child died while `running` ran (`how`: its exit status or signal)."""
    from blitz.engine.student_code import StudentError

    said = crash_msg(running, how)
    return StudentError("WorkerCrashed", said.en, call=running, kind="crashed", said=said)
