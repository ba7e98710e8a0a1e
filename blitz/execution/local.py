"""The front end's side of the engine: start the warm worker, send it work, read its answers.

No torch here: `blitz check tensors` imports torch once, in the worker. One :class:`Engine` holds
one worker (started on first use, or early with :meth:`Engine.start` so it warms up while the
front end does other things); requests run one at a time, in order.

    engine = Engine(label=str(folder))
    job = engine.submit_exercise(folder, "tensors", ctx={"device": "cpu", "seed": 0})
    outcome = engine.wait(job, on_event=print)   # a blitz.engine.results.RunOutcome
    engine.close()                               # the worker and any child are gone

Non-blocking use (`blitz watch`): :meth:`Engine.poll` returns the events that came within a
timeout; :meth:`Engine.cancel` stops a request (its child's process group is killed).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import IO

from blitz.course import registry
from blitz.engine.results import RunOutcome
from blitz.execution.limits import time_limit

ANSWER_MAX = 64 * 1024 * 1024
SILENCE_GRACE = 60.0  # beyond a request's own limit: a worker this quiet is stuck, and replaced


class Engine:
    def __init__(self, label: str = "", stderr=None):
        self.label = label  # shown in the worker's command line (ps), e.g. the exercises folder
        self.stderr = stderr  # where the worker (and a job's progress bar) write; default: a log
        self.proc: subprocess.Popen | None = None
        self.log: IO[bytes] | None = None
        self.buffer = b""
        self.next_id = 0
        self.limits: dict[int, float] = {}
        self.done: dict[int, RunOutcome] = {}
        self.heard = time.monotonic()

    # -- the worker ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.close()
        command = [sys.executable, *(["-P"] if sys.version_info >= (3, 11) else [])]
        command += ["-m", "blitz.execution.host", "--parent", str(os.getpid())]
        command += ["--for", self.label] if self.label else []
        self.log = tempfile.TemporaryFile() if self.stderr is None else None
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr if self.stderr is not None else self.log,
            start_new_session=True,  # Ctrl-C reaches the front end, which then closes the worker
        )
        self.buffer = b""
        self.heard = time.monotonic()

    def close(self) -> None:
        """The worker and its children gone (the children die with it: PDEATHSIG)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            for stream in filter(None, (proc.stdin, proc.stdout)):
                try:
                    stream.close()
                except OSError:
                    pass
        for ident in list(self.limits):
            self.done.setdefault(ident, RunOutcome.cancelled())
        self.limits.clear()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _log_tail(self) -> str:
        if self.log is None:
            return ""
        try:
            # Only the end: the worker's stderr file can be as long as what the student's code wrote to it.
            size = self.log.seek(0, os.SEEK_END)
            self.log.seek(max(0, size - 4096))
            return self.log.read(4096)[-400:].decode("utf-8", errors="replace").strip()
        except OSError:
            return ""

    # -- requests -----------------------------------------------------------------------------

    def submit(self, request: dict, limit: float) -> int:
        self.start()
        self.next_id += 1
        ident = self.next_id
        self.limits[ident] = limit
        self._send({**request, "op": "run", "id": ident, "limit": limit})
        return ident

    def submit_exercise(self, folder, exercise_id: str, ctx: dict | None = None) -> int:
        exercise = registry.get(exercise_id)
        ctx = {k: v for k, v in (ctx or {}).items() if v is not None}
        limit = time_limit(exercise_id, exercise.has_module, ctx.get("epochs"))
        request = {"folder": str(folder), "exercise": exercise_id, "ctx": ctx}
        return self.submit(request, limit)

    def cancel(self, ident: int) -> None:
        if ident in self.limits:
            self._send({"op": "cancel", "id": ident})

    def _send(self, message: dict) -> None:
        stdin = self.proc.stdin if self.proc is not None else None
        try:
            if stdin is None:
                raise BrokenPipeError("no worker")
            stdin.write((json.dumps(message) + "\n").encode())
            stdin.flush()
        except (BrokenPipeError, OSError, AttributeError):
            self._worker_gone("the worker did not take the request")

    # -- answers ------------------------------------------------------------------------------

    def poll(self, timeout: float) -> list[dict]:
        """The worker's events within `timeout` seconds (none if it has nothing to say); a "done"
        event's ``outcome`` is a :class:`~blitz.engine.results.RunOutcome`."""
        if self.proc is None or self.proc.stdout is None:
            return []
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        events: list[dict] = []
        if ready:
            data = os.read(fd, 65536)
            if not data:
                return self._worker_gone(f"the worker ended {self._log_tail()}".strip())
            self.heard = time.monotonic()
            self.buffer += data
            if len(self.buffer) > ANSWER_MAX:
                return self._worker_gone("an answer too long")
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                event = json.loads(line)
                if event.get("event") == "done":
                    self.limits.pop(event["id"], None)
                    event["outcome"] = RunOutcome.from_json(event["outcome"])
                    self.done[event["id"]] = event["outcome"]
                events.append(event)
        elif self.limits and time.monotonic() - self.heard > max(self.limits.values()) + SILENCE_GRACE:
            return self._worker_gone("the worker stopped answering")
        return events

    def _worker_gone(self, why: str) -> list[dict]:
        pending = list(self.limits)
        self.close()
        events = []
        for ident in pending:
            self.done[ident] = RunOutcome.failed(why)
            events.append({"id": ident, "event": "done", "outcome": self.done[ident]})
        return events

    def wait(self, ident: int, on_event=None) -> RunOutcome:
        """The outcome of request `ident`; `on_event` sees each event meanwhile."""
        while ident not in self.done:
            if self.proc is None:
                self.done[ident] = RunOutcome.failed("the worker is not running")
                break
            for event in self.poll(0.5):
                if on_event is not None:
                    on_event(event)
        return self.done.pop(ident)

    def run_exercise(self, folder, exercise_id: str, ctx: dict | None = None, on_event=None) -> RunOutcome:
        return self.wait(self.submit_exercise(folder, exercise_id, ctx), on_event)
