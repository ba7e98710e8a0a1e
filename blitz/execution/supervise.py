"""A job's supervisor (in the local host): fork a fresh child, read its pipes with deadlines, kill its group.

:func:`run_job` runs one job (``blitz report``'s training) in a child forked for it; a job that
runs past its limit or dies gets a "timeout" or "crashed" stop naming what was running. Reads are bounded: control lines up to CONTROL_MAX bytes, the
student's output kept as first and last lines (:class:`blitz.execution.output.Printed`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from blitz.engine.results import RunOutcome, RunState
from blitz.execution.child import child_main
from blitz.execution.output import Printed
from blitz.execution.stops import crash_msg, engine_msg, how_it_ended, timeout_msg

CONTROL_MAX = 64 * 1024 * 1024
DRAIN_SECONDS = 0.2  # the output still in the pipe when the child has ended
EMIT_EVERY = 0.1  # at most this often, a "call" is passed on to the front end

# listen: fds the caller wants watched while a child runs, and what to do when one is readable
# (True: cancel the run).
Listen = tuple[list[int], Callable[[int], bool]]


@dataclass
class Run:
    pid: int
    index: int | None = None  # the job's "start" came
    key: str = ""
    call: str = ""
    value: object = None
    ended: bool = False
    timed_out: bool = False
    cancelled: bool = False
    error: str = ""
    status: int = 0


class Reader:
    """One child's two pipes, read until its control pipe closes or a deadline passes."""

    def __init__(self, run: Run, ctl: int, out: int, printed: Printed, emit: Callable[[dict], None]):
        self.run, self.ctl, self.out, self.printed, self.emit = run, ctl, out, printed, emit
        self.buffer = b""
        self.last_emit = 0.0
        self.last_call = ""
        self.told: set[str] = set()

    def control(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > CONTROL_MAX:
            self.run.error = "control message too long"
            return
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            try:
                self.handle(json.loads(line))
            except (ValueError, KeyError, TypeError):
                self.run.error = "unreadable control message"

    def handle(self, message: dict) -> None:
        run = self.run
        if "start" in message:
            run.index, run.key, run.call = int(message["start"]), str(message["key"]), ""
            self.told, self.last_call = set(), ""
            self.deadline = time.monotonic() + self.limit
            self.emit({"event": "running", "key": run.key, "call": ""})
        elif "call" in message:
            run.call = str(message["call"])
            now = time.monotonic()
            # Each new call is told at once; repeated ones (a loop alternating calls) at most every EMIT_EVERY.
            fresh = run.call not in self.told
            if run.call and run.call != self.last_call and (fresh or now - self.last_emit >= EMIT_EVERY):
                self.told.add(run.call)
                self.last_emit, self.last_call = now, run.call
                self.emit({"event": "running", "key": run.key, "call": run.call})
        elif "value" in message:
            run.value = message["value"]
        elif "end" in message:
            run.ended = True
        elif "error" in message:
            run.error = str(message["error"])

    def read(self, limit: float, listen: Listen | None) -> None:
        self.limit = limit
        self.deadline = time.monotonic() + limit
        extra, on_ready = listen or ([], None)
        pipes = [self.ctl, self.out]
        while not (self.run.error or self.run.ended):
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.run.timed_out = True
                return
            ready, _, _ = select.select(pipes + list(extra), [], [], min(left, 0.5))
            for fd in ready:
                if fd in extra:
                    if on_ready is not None and on_ready(fd):
                        self.run.cancelled = True
                        return
                    continue
                data = os.read(fd, 65536)
                if not data:
                    if fd == self.ctl:
                        return  # the child is gone
                    pipes.remove(fd)
                elif fd == self.out:
                    self.printed.feed(data)
                else:
                    self.control(data)

    def drain(self) -> None:
        """What the child printed last; a background process of the student's holding the pipe
        open is not waited for."""
        end = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < end:
            ready, _, _ = select.select([self.out], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                return
            data = os.read(self.out, 65536)
            if not data:
                return
            self.printed.feed(data)


def run_child(request: dict, start: int, limit: float, printed: Printed, emit, listen: Listen | None) -> Run:
    """Fork one child for `request` (checks from `start`, or the job), read it, kill its group."""
    ctl_r, ctl_w = os.pipe()
    out_r, out_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(ctl_r)
        os.close(out_r)
        child_main(parent, ctl_w, out_w, request, start)
    os.close(ctl_w)
    os.close(out_w)
    try:
        os.setpgid(pid, pid)  # also done by the child: whichever comes first
    except OSError:
        pass
    run = Run(pid)
    reader = Reader(run, ctl_r, out_r, printed, emit)
    try:
        reader.read(limit, listen)
        if not (run.timed_out or run.cancelled):
            reader.drain()
    finally:
        kill_group(pid)
        _, run.status = os.waitpid(pid, 0)
        os.close(ctl_r)
        os.close(out_r)
    return run


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_message(run: Run, running: str, limit: float):
    if run.timed_out:
        return "timeout", timeout_msg(running, limit)
    if run.error:
        return "error", engine_msg(run.error)
    return "crashed", crash_msg(running, how_it_ended(run.status))


def run_job(request: dict, emit, listen: Listen | None = None) -> RunOutcome:
    """One job in one child: its ``value``, or its ``stopped`` message and ``stop_status``, and what it printed."""
    started = time.monotonic()
    printed = Printed()
    limit = float(request["limit"])
    run = run_child(request, 0, limit, printed, emit, listen)
    if run.cancelled:
        return RunOutcome.cancelled()
    outcome = RunOutcome(
        RunState.DONE, printed=printed.as_dict(), seconds=round(time.monotonic() - started, 3), call=run.call
    )
    if run.ended and not run.error:
        outcome.value = run.value
        return outcome
    outcome.stop_status, outcome.stopped = stop_message(run, run.call or request.get("label", "blitz"), limit)
    return outcome
