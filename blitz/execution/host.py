"""The local placement's trusted host: ``python -m blitz.execution.host`` runs the checks.

Started once by :class:`blitz.execution.local.Engine` (the front end, which never imports torch), it
imports torch and the checks once and runs each requested exercise's checks itself, in this trusted
process, as ``blitz grade`` does in the grader. The student's code runs only in probes, in a fresh
child per (submission, exercise) of the one warm worker loop (:mod:`blitz.execution.worker`),
launched here unconfined through the same session
and the same framed, bounded protocol as the sandbox (:class:`blitz.execution.sandbox.isolated.IsolatedSubmission`,
answers as :mod:`blitz.engine.wire` frames). Each check has its own time budget
(:func:`blitz.execution.limits.time_limit`): a runaway probe's child is killed (its process group),
the check times out naming the student function that ran, and the next check gets a fresh child.

The first worker is forked from this process (:class:`blitz.execution.launch.LocalFork`) once it has
imported torch, torchvision and the probes, and before it imports the checks (and through them the
reference), starts a thread or runs a torch operation: torch is imported once, and the student's
code finds no trusted module in its sys.modules. A later worker (another folder, or one that died) is
a fresh interpreter (:class:`blitz.execution.launch.LocalProcess`).

Requests come on stdin, one JSON object per line; answers go to stdout, one per line:

    → {"op": "run", "id": 1, "folder": "/abs/exercises", "exercise": "tensors", "ctx": {...},
       "limit": 10.0}                                                an exercise's checks
    → {"op": "run", "id": 2, "job": "blitz.student.report:train_job", "args": {...}, "limit": 240}
    → {"op": "cancel", "id": 1}                                      stop request 1 (kills its child)
    ← {"event": "ready"}                                             once, when warm
    ← {"id": 1, "event": "running", "key": "tensors.gram", "call": "tensors.gram"}
    ← {"id": 1, "event": "done", "outcome": {...}}                   blitz.execution.protocol's outcome

It dies with the process that started it (PDEATHSIG), and so does its worker and their children.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.engine.results import CheckResult, RunOutcome, RunState, Status
from blitz.execution import child
from blitz.execution.child import Control
from blitz.execution.lifetime import die_with_parent
from blitz.execution.limits import MAX_STOPS

if TYPE_CHECKING:  # it imports the wire format (torch); imported where it is used
    from blitz.execution.sandbox.session import SandboxSession

EMIT_EVERY = 0.1  # at most this often, a repeated "call" is passed on to the front end


class Requests:
    """Lines from stdin, read by a thread of their own, so that a cancel reaches a running request."""

    def __init__(self, fd: int = 0):
        self.fd = fd
        self.queue: queue.Queue[dict | None] = queue.Queue()
        self.cancelled: set[int] = set()
        self.closed = False
        self.on_cancel = lambda ident: None  # called (in the reader thread) for each cancel
        threading.Thread(target=self._read, name="blitz-requests", daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                self.on_cancel(None)
                self.queue.put(None)
                return
            *lines, buffer = (buffer + data).split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                request = json.loads(line)
                if request.get("op") == "cancel":
                    self.cancelled.add(request.get("id"))
                    self.on_cancel(request.get("id"))
                elif request.get("op") == "run":
                    self.queue.put(request)


def plan_of(request: dict) -> list[dict]:
    """Each check of the request, as the JSON of a result it has not given yet."""
    from blitz.checks import checks_for
    from blitz.engine.results import Status

    return [c.result(Status.FAILED, None, 0.0, None).to_json() for c in checks_for(request["exercise"])]


class Host:
    """The checks of each request, with probes in children of one local worker per folder."""

    def __init__(self, requests: Requests, out: Control):
        self.requests, self.out = requests, out
        self.session: SandboxSession | None = None
        self.current: int | None = None
        requests.on_cancel = self._cancel

    def _cancel(self, ident: int | None) -> None:
        """In the reader thread: the running request's child is killed; its check ends at once."""
        session = self.session
        if (ident is None or ident == self.current) and session is not None and session.child_pid:
            try:
                os.killpg(session.child_pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def session_for(self, folder: str) -> SandboxSession:
        from blitz.execution.sandbox.session import SandboxSession

        session = self.session
        if session is not None and session.source == Path(folder).resolve():
            return session
        if session is not None:
            session.close()
        self.session = SandboxSession(folder, local=True)
        return self.session

    def serve(self) -> None:
        while True:
            request = self.requests.queue.get()
            if request is None:
                break
            ident = request["id"]
            if ident in self.requests.cancelled:  # cancelled before it began
                self.out.send({"id": ident, "event": "done", "outcome": RunOutcome.cancelled().to_json()})
                continue
            self.current = ident
            try:
                outcome = self.run(request)
            except Exception as exc:  # noqa: BLE001 - a bad request must not end the host
                outcome = RunOutcome.failed(f"{type(exc).__name__}: {exc}")
            self.current = None
            if ident in self.requests.cancelled:
                outcome = RunOutcome.cancelled()
            # The one place the outcome becomes JSON: the line the front end reads back (RunOutcome.from_json).
            self.out.send({"id": ident, "event": "done", "outcome": outcome.to_json()})
            if self.requests.closed:
                break
        if self.session is not None:
            self.session.close()

    def emit(self, event: dict) -> None:
        self.out.send({**event, "id": self.current})

    def run(self, request: dict) -> RunOutcome:
        if request.get("job"):
            from blitz.execution.supervise import run_job

            return run_job(request, self.emit)
        session = self.session_for(request["folder"])
        return run_exercise(self, session, request)


@dataclass
class Told:
    """What the front end was told runs now."""

    key: str = ""
    call: str = ""
    at: float = 0.0
    seen: set[str] = field(default_factory=set)


def run_exercise(host: Host, session: SandboxSession, request: dict) -> RunOutcome:
    """Every check of the request's exercise scored here, whatever the student's code does."""
    from blitz.checks import Context, checks_for, run_check
    from blitz.execution.output import Printed
    from blitz.execution.sandbox.isolated import IsolatedSubmission
    from blitz.execution.stops import not_run_msg

    started = time.monotonic()
    ident = host.current
    entries = checks_for(request["exercise"])
    ctx = Context(**request.get("ctx", {}))
    session.printed = Printed()
    told = Told()

    def on_call(call: str) -> None:
        # Each new call is told at once; repeated ones (a loop alternating calls) at most every EMIT_EVERY.
        now = time.monotonic()
        if call != told.call and (call not in told.seen or now - told.at >= EMIT_EVERY):
            told.call, told.at = call, now
            told.seen.add(call)
            host.emit({"event": "running", "key": told.key, "call": call})

    session.on_call = on_call
    results: list[CheckResult] = []
    stops, stopped = 0, None
    sub = IsolatedSubmission(request["folder"], request["exercise"], timeout=float(request["limit"]), session=session)
    try:
        for index, entry in enumerate(entries):
            if ident in host.requests.cancelled or host.requests.closed:
                return RunOutcome.cancelled()
            told.key, told.call, told.seen = entry.key, "", set()
            host.emit({"event": "running", "key": entry.key, "call": ""})
            result = run_check(entry, sub, ctx)
            results.append(result)
            if result.status not in (Status.TIMEOUT, Status.CRASHED):
                continue
            stops += 1
            whole = session.last_call.startswith("import ")
            if whole or stops >= MAX_STOPS:
                # The checks after it are not run: each says why (an import's stop stands for all).
                stopped = result.message
                rest = stopped if whole or stopped is None else not_run_msg(stopped)
                results += [e.result(result.status, rest) for e in entries[index + 1 :]]
                break
    finally:
        sub.close()
        session.on_call = None
    session.settle()
    return RunOutcome(
        RunState.DONE,
        exercise=request["exercise"],
        results=results,
        printed=session.printed.as_dict(),
        seconds=round(time.monotonic() - started, 3),
        stopped=stopped,
    )


def main(argv: list[str]) -> int:
    parent = int(argv[argv.index("--parent") + 1]) if "--parent" in argv else os.getppid()
    die_with_parent(parent=parent)
    out = Control(os.dup(1))
    child.WORKER_FDS.append(out.fd)
    # Nothing of the kit's may write on the answers' pipe by mistake.
    os.dup2(2, 1)
    from blitz.engine.imports import warm_torch

    # torch: the checks', and the worker's (it is forked with it); torchvision too, without torch._dynamo
    # (the data and pipeline checks use it)
    warm_torch()
    label = argv[argv.index("--for") + 1] if "--for" in argv else ""
    warming = None
    if label and os.path.isdir(label):
        # The worker, forked now: what it imports (torch, torchvision, the probes) is imported once, in
        # this process, before a thread starts, the checks are imported or a torch operation runs here.
        import blitz.probes  # noqa: F401
        from blitz.execution.sandbox.session import SandboxSession

        try:
            warming = SandboxSession(label, local=True)
            warming.launch(fork=True)
        except Exception:  # noqa: BLE001 - the first request starts it again, and says why it could not
            warming = None
    requests = Requests(0)
    host = Host(requests, out)
    host.session = warming
    import blitz.checks  # noqa: F401

    if warming is not None:
        try:
            warming.await_ready()
        except Exception:  # noqa: BLE001 - as above (the session starts a worker anew on first use)
            pass
    out.send({"event": "ready"})
    host.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
