"""What crosses the pipes: results as plain JSON, read back without importing torch.

A child sends one JSON object per line on its control pipe; the worker sends one per line to the
front end. An exercise's outcome is a dict::

    {"exercise": "tensors", "results": [CHECK, ...], "printed": PRINTED, "seconds": 0.4,
     "stopped": MSG | None}

    CHECK   = blitz.engine.results.CheckResult.to_json(): {"key", "exercise", "name", "title": MSG,
              "status", "score", "max_score", "message": MSG | None, "seconds"[, "note": MSG]}
    PRINTED = {"head": [line, ...], "tail": [line, ...], "omitted": n}   # what the student's code printed
    MSG     = {"zh": ..., "en": ...}

The front ends read a CHECK back with :meth:`blitz.engine.results.CheckResult.from_json` (no torch).
"""

from __future__ import annotations

from collections import deque

from blitz.course.i18n import Msg
from blitz.execution.limits import HEAD_LINES, LINE_CHARS, TAIL_LINES


def msg_dict(msg: Msg | None) -> dict | None:
    return None if msg is None else {"zh": msg.zh, "en": msg.en}


def msg_of(data: object) -> Msg | None:
    if not isinstance(data, dict):
        return None
    return Msg(str(data.get("zh", "")), str(data.get("en", "")))


def unscored(check: dict, status: str, message: Msg) -> dict:
    """A check that gave no result of its own (it timed out, crashed, or was not run)."""
    return {**check, "status": status, "score": 0.0, "message": msg_dict(message), "seconds": 0.0}


class Printed:
    """What the student's code printed: the first and last lines, and how many were left out.

    Bytes go in as they come (bounded: a partial line longer than LINE_CHARS is cut)."""

    def __init__(self, head: int = HEAD_LINES, tail: int = TAIL_LINES):
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=tail)
        self.head_max = head
        self.total = 0
        self.partial = b""

    def feed(self, data: bytes) -> None:
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()[: LINE_CHARS * 4]
        for line in lines:
            self._line(line)

    def _line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").rstrip("\r")
        if len(text) > LINE_CHARS:
            text = text[:LINE_CHARS] + " …"
        self.total += 1
        if len(self.head) < self.head_max:
            self.head.append(text)
        else:
            self.tail.append(text)

    def as_dict(self) -> dict:
        if self.partial:
            self._line(self.partial)
            self.partial = b""
        return {"head": self.head, "tail": list(self.tail), "omitted": self.total - len(self.head) - len(self.tail)}


def printed_lines(printed: dict | None, prefix: str = "  | ", lang: str = "both") -> list[str]:
    """The kept lines, and a line saying how many were left out between them."""
    if not printed:
        return []
    lines = [prefix + line for line in printed.get("head", [])]
    omitted = int(printed.get("omitted", 0))
    if omitted:
        left_out = Msg(f"… 中间省略了 {omitted} 行 …", f"… {omitted} more lines left out …")
        lines.append(prefix + (f"{left_out.zh} / {left_out.en}" if lang == "both" else left_out.render(lang)))
    return lines + [prefix + line for line in printed.get("tail", [])]


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
