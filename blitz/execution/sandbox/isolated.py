"""Probes in a sandboxed child: how `blitz grade` runs code it does not trust.

One :class:`IsolatedSubmission` serves one (submission, exercise) pair. Its probes run in a fresh
child that the submission's warm worker forks for it, inside the submission's one sandbox
(:class:`blitz.execution.sandbox.session.SandboxSession`); the checks run here, in the trusted
parent, and read back only safe values. The exercise has one time budget for all its probes.

- A child that dies (``os._exit``, a segfault, the memory limit's kill) costs the probe that was
  running: the worker says so, tidies the sandbox, and the next probe gets a fresh child, up to
  :data:`MAX_STARTS` children per exercise.
- A probe that runs past the budget, bytes that cannot be read, or a sandbox that went away: the
  whole sandbox is killed (the trusted side stops what it cannot trust to stop itself); the
  exercise's next probe, or the next exercise, gets a fresh sandbox.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from blitz.engine.student_code import StudentError
from blitz.engine.submission import Submission
from blitz.execution.sandbox.process import SandboxPolicy
from blitz.execution.sandbox.session import (  # noqa: F401 - re-exported: the grader's names for them
    SandboxSession,
    WorkerStartError,
    copy_sources,
    kit_secrets,
    remove_tree,
)
from blitz.execution.stops import crash_error, how_code, local_crash, local_timeout, timeout_error, too_many_crashes

MAX_STARTS = 3  # children per exercise


class IsolatedSubmission(Submission):
    def __init__(
        self,
        folder: Path | str,
        exercise_id: str,
        *,
        timeout: float,
        policy: SandboxPolicy | None = None,
        workdir: Path | None = None,
        session: SandboxSession | None = None,
    ):
        """Probes of `exercise_id` in `session` (the submission's sandbox); without one, in a session
        of its own (`policy`, `workdir`), closed with this submission."""
        self._own_session = session is None
        self.session = session if session is not None else SandboxSession(folder, policy, workdir)
        self.source = self.session.source
        self.workdir = self.session.workdir
        self.policy = self.session.policy
        self.exercise_id = exercise_id
        self.label = f"{self.source.name}:{exercise_id}"
        self.budget = float(timeout)
        self._starts = 0
        self._fatal: StudentError | None = None
        self.spent = 0.0
        self._printed_from = 0  # the lines the children had printed when the running check began

    def close(self) -> None:
        if self.session.child_owner is self:
            self.session.end_child()
        if self._own_session:
            self.session.close()

    # -- probes -----------------------------------------------------------------------------------

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._fatal is not None:
            raise self._fatal
        if self.budget - self.spent <= 0:
            raise self._timeout(name)
        if self.session.child_owner is not self or not self.session.alive():
            if self._starts >= MAX_STARTS:
                raise self._remember(too_many_crashes())
            self._starts += 1
            self.session.begin_child(self)  # may start a sandbox: not charged to the budget
        started = time.monotonic()
        remaining = self.budget - self.spent
        self.session.last_call = ""
        try:
            self.session.send(("probe", name, args, kwargs), started + remaining)
            envelope = self.session.receive(remaining - (time.monotonic() - started))
        except TimeoutError:  # it stopped reading its requests: its time runs out as in an endless loop
            envelope = None
        except Exception as exc:  # noqa: BLE001 - a dead sandbox, or bytes it garbled: the same to us
            self.spent += time.monotonic() - started
            return self._crashed(exc)
        self.spent += time.monotonic() - started
        if envelope is None:
            running = self.session.last_call or name
            output = "" if self.session.local else self.session.output()  # shown when it printed a lot
            # The runaway child, and everything else in its sandbox; locally, its process group only.
            self.session.kill_child()
            raise self._timeout(running, output)
        if not isinstance(envelope, dict):
            return self._crashed(TypeError("malformed answer"))
        if "ended" in envelope:
            return self._child_ended(envelope)
        return self._unwrap(envelope)

    def _child_ended(self, envelope: dict) -> Any:
        """The worker says the child died while running the probe."""
        try:
            code: Any = int(envelope["ended"])
        except (TypeError, ValueError):
            code = "?"
        oom = self.session.oom_since_child()
        output = self.session.output()
        self.session.child_ended(envelope)
        how = how_code(code) if self.session.local and isinstance(code, int) else f"exit status {code}"
        raise self._crash_error(how, oom, output)

    def _crashed(self, exc: BaseException) -> Any:
        """The sandbox itself hung up or garbled its answer: it is killed."""
        sandbox = self.session.sandbox
        # A worker that hung up has exited or is about to (its status says how); one that sent garbage
        # is still running and gets no grace.
        code = sandbox.wait(2.0 if isinstance(exc, EOFError) else 0.05) if sandbox is not None else None
        output = self.session.output()
        oom = self.session.oom_since_child()
        self.session.stop()
        detail = (
            f"exit status {code}"
            if code is not None
            else f"it stopped answering or sent back unreadable data: {type(exc).__name__}"
        )
        raise self._crash_error(detail, oom, output)

    def _crash_error(self, detail: str, oom: bool, output: str) -> StudentError:
        if self.session.local:
            return local_crash(self.session.last_call or self.exercise_id, detail)
        return crash_error(detail, output, self.policy.memory_bytes / (1 << 30) if oom else None)

    def _timeout(self, running: str, output: str = "") -> StudentError:
        """`output`: what the sandboxed worker printed; locally, what the children printed since the
        check began (:attr:`SandboxSession.printed`), shown in the message when that was a lot."""
        if self.session.local:
            self.session.settle()  # what the killed child printed last, read
            printed = self.session.printed.since(self._printed_from)
            return self._remember(local_timeout(running, self.budget, printed))
        return self._remember(timeout_error(self.budget, output))

    def begin_check(self) -> None:
        """A check begins: it gets the whole budget, whatever the checks before it spent; a time-out
        of theirs is not its own (the next probe forks a fresh child)."""
        self.spent = 0.0
        # An earlier check's flood is not this one's, and this one's first lines are kept (Printed.mark).
        self._printed_from = self.session.printed.mark()
        if self._fatal is not None and self._fatal.kind == "timeout":
            self._fatal = None

    def _remember(self, error: StudentError) -> StudentError:
        self._fatal = error
        return error
