"""One submission's sandbox: a warm worker that forks a fresh child per exercise.

A :class:`SandboxSession` holds, for one submission, at most one
:class:`blitz.execution.sandbox.process.Sandbox` at a time, started on first use: inside it the
worker of :mod:`blitz.execution.worker` imports torch and the probes once and forks a child
for each exercise (:meth:`begin_child`), which serves that exercise's probes until
:meth:`end_child`. A child is never reused: after it ends, the worker kills whatever it left,
removes its IPC objects and empties the tmpfs before the next child is forked.

The trusted side never relies on the sandbox to stop anything: on a time-out, on bytes it cannot
read, or when the worker says it could not tidy up, :meth:`stop` kills the whole sandbox (its pid
namespace and cgroup), and the next child is forked in a fresh one, started lazily. Starting it
(importing torch) is not charged to any exercise's time budget.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blitz.course.registry import ROOT
from blitz.engine import wire
from blitz.execution import files, scratch
from blitz.execution.files import remove_tree  # noqa: F401 - re-exported (torch-free where it is defined)
from blitz.execution.frames import read_frame, write_frame
from blitz.execution.launch import LocalFork, LocalProcess
from blitz.execution.output import Printed
from blitz.execution.sandbox.process import Sandbox, SandboxPolicy, SandboxUnavailable
from blitz.execution.sandbox.view import essentials, kit_secrets  # noqa: F401 - kit_secrets re-exported

STARTUP_SECONDS = 60.0  # importing torch in a cold worker; not charged to the student's budget
CHILD_SECONDS = 30.0  # forking a child and hearing from it; no student code has run yet
END_SECONDS = 30.0  # a child's end and the worker's tidying up (TIDY_SECONDS) before a fresh sandbox


class WorkerStartError(RuntimeError):
    """The sandboxed worker died before any student code ran: a fault of the grader, not the student."""


def copy_sources(source: Path, dest: Path, taken: files.Snapshot | None = None) -> None:
    """Copy the submission's regular top-level .py files into `dest`, read-only, by the rules of
    :mod:`blitz.execution.files` (lstat, O_NOFOLLOW, size caps: nothing here blocks or follows a link);
    `taken`: the snapshot already read (and fingerprinted), written as it is."""
    if taken is not None:
        names = taken.write(dest)
    else:
        try:
            names = files.copy_python_files(source, dest)
        except files.UnsafeFile:  # refused before grading (discover.recheck); a file swapped since stays out
            names = [p.name for p in dest.glob("*.py")]
    for name in names:
        os.chmod(dest / name, 0o444)
    os.chmod(dest, 0o555)


class SandboxSession:
    def __init__(
        self,
        folder: Path | str,
        policy: SandboxPolicy | None = None,
        workdir: Path | None = None,
        snapshot: files.Snapshot | None = None,
        local: bool = False,
    ):
        """folder: the student's submission; only its .py files are copied into the worker's private
        directory, which is all of the submission the sandbox can see.
        snapshot: the submission's files as already read (:func:`blitz.execution.files.snapshot`).
        local: the local placement (the student's own commands): the worker is a plain process of the
        student's (:class:`blitz.execution.launch.LocalProcess`) that imports from `folder` itself,
        a time-out kills only the child, and what the children print goes to :attr:`printed`."""
        self.source = Path(folder).resolve()
        self.local = local
        self.printed = Printed()
        self.on_call: Callable[[str], None] | None = None  # told each {"call"} frame of the child
        self.last_call = ""
        self.child_pid: int | None = None
        if local:
            self.policy = SandboxPolicy()
            self._own_workdir = False
            self.workdir = self.code_dir = self.source
            self.sandbox: Sandbox | LocalProcess | LocalFork | None = None
            self._request_w = self._response_r = -1
            self.child_owner: object | None = None
            self._oom_before = 0
            self.sandboxes = 0
            return
        # A copy: the caller's policy may serve several submissions.
        self.policy = dataclasses.replace(policy) if policy is not None else SandboxPolicy()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or scratch.make("blitz-worker-")).resolve()
        self.code_dir = self.workdir / "submission"
        self.code_dir.mkdir(parents=True, exist_ok=True)
        copy_sources(self.source, self.code_dir, snapshot)
        # The worker sees its copy (read-only) and nothing else of the submission; the kit's reference
        # solutions, its tests and history stay out of its sight even inside a kept folder.
        keep = (*essentials(), *self.policy.keep_paths, str(self.code_dir))
        self.policy.keep_paths = tuple(dict.fromkeys(keep))
        self.policy.hide_paths = tuple(dict.fromkeys((*self.policy.hide_paths, *kit_secrets())))
        self.policy.init = True
        self.sandbox = None
        self._request_w = self._response_r = -1
        self.child_owner = None  # who the live child serves (an IsolatedSubmission)
        self._oom_before = 0
        self.sandboxes = 0  # how many were started (a benchmark's and a test's figure)

    # -- the sandbox --------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.sandbox is not None and self.sandbox.alive()

    def start(self) -> None:
        self.launch()
        self.await_ready()

    def launch(self, fork: bool = False) -> None:
        """Start the worker without waiting for it (it imports torch meanwhile); :meth:`await_ready` next.
        Call it from a thread that outlives the worker: the worker dies with the thread that started it.
        fork (local only): the worker is forked from this process (:class:`~blitz.execution.launch.LocalFork`),
        which has imported torch, torchvision and the probes and run no torch operation yet."""
        self.stop()
        self.sandboxes += 1
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        # -I drops PYTHONPATH and the user site; the kit's own folder is put on the path explicitly, so
        # a kit run from a checkout (not pip-installed) starts its workers too.
        bootstrap = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from blitz.execution.worker import main; sys.exit(main(sys.argv[1:]))"
        argv = [sys.executable, "-I", "-c", bootstrap, str(request_r), str(response_w), str(self.code_dir)]
        # Locally: torch's own thread count (0), no pid 1, and the front end's working folder, as before.
        argv += ["0" if self.local else str(self.policy.cpu_threads), "0" if self.local else "1"]
        try:
            if self.local:
                sink = lambda data: self.printed.feed(data)  # noqa: E731 - the exercise's Printed, swapped by the host
                if fork:
                    from blitz.execution import worker

                    fds, folder = (request_r, response_w), str(self.code_dir)
                    serve = lambda: worker.serve(*fds, folder, 0, False)  # noqa: E731 - what main() calls
                    self.sandbox = LocalFork(serve, os.getcwd(), fds, sink)
                else:
                    self.sandbox = LocalProcess(argv, os.getcwd(), (request_r, response_w), sink)
            else:
                home = self.workdir / "home"  # its working folder only when it runs unconfined (--unsafe-no-sandbox)
                home.mkdir(exist_ok=True)
                self.sandbox = Sandbox(argv, str(home), self.policy, pass_fds=(request_r, response_w))
        except (SandboxUnavailable, OSError) as exc:
            os.close(request_w)
            os.close(response_r)
            raise WorkerStartError(str(exc)) from exc
        finally:
            os.close(request_r)
            os.close(response_w)
        os.set_blocking(request_w, False)  # a sandbox that stops reading cannot block the grader
        self._request_w, self._response_r = request_w, response_r

    def await_ready(self) -> None:
        """The launched worker's "ready"; WorkerStartError when it does not come."""
        try:
            ready = self.receive(STARTUP_SECONDS)
        except (EOFError, OSError, ValueError):
            ready = None
        if ready != {"ok": True, "value": "ready"}:
            # No student code has run yet: this is the grader's own failure (a broken install, a sandbox
            # this machine refuses), and it is reported as such, not as the student's crash.
            output = self.sandbox.output() if self.sandbox else ""
            self.stop()
            raise WorkerStartError(f"the grading worker did not start: {output.strip()[-500:]}")

    def stop(self) -> None:
        """Kill the whole sandbox (whatever runs in it), if there is one."""
        self.child_owner = None
        if self.sandbox is not None:
            self.sandbox.kill()
            self.sandbox = None
        for fd in (self._request_w, self._response_r):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._request_w = self._response_r = -1

    def close(self) -> None:
        self.end_child()
        self.stop()
        if self._own_workdir:
            remove_tree(self.workdir)

    # -- framing ------------------------------------------------------------------------------

    def send(self, message: tuple, deadline: float) -> None:
        """One request; TimeoutError when the sandbox has not taken it by `deadline` (monotonic)."""
        write_frame(self._request_w, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL), deadline)

    def receive(self, seconds: float) -> Any:
        """One answer within `seconds`: None on timeout, EOFError when the sandbox is gone,
        ValueError (wire.WireError included) when it is larger than wire.MAX_BYTES or garbled."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            try:
                payload = read_frame(self._response_r, deadline, wire.MAX_BYTES)
            except TimeoutError:
                return None
            answer = wire.loads(payload)
            if not (isinstance(answer, dict) and set(answer) == {"call"} and isinstance(answer["call"], str)):
                return answer
            self.last_call = answer["call"][:200]  # a claim of the child's: only ever shown, as a name
            if self.on_call is not None:
                self.on_call(self.last_call)

    # -- children -----------------------------------------------------------------------------

    def begin_child(self, owner: object) -> None:
        """A fresh child for `owner`; the previous child (another exercise's) ends first. Starts a
        sandbox when there is none (or it has died); WorkerStartError when no child comes up."""
        if self.child_owner is not None:
            self.end_child()
        for _attempt in range(2):  # a sandbox the last child left unusable is replaced once
            if not self.alive():
                self.start()
            try:
                self.send(("child",), time.monotonic() + CHILD_SECONDS)
                answer = self.receive(CHILD_SECONDS)
            except (TimeoutError, EOFError, OSError, ValueError):
                answer = None
            if isinstance(answer, dict) and answer.get("ok") is True and answer.get("value") == "child":
                pid = answer.get("pid")
                # Only the local placement uses it (to stop a runaway child without its worker): there
                # the pid is this machine's, and no student code has run in the child yet.
                self.child_pid = pid if isinstance(pid, int) and pid > 1 and self.local else None
                self.child_owner = owner
                assert self.sandbox is not None  # started above
                self._oom_before = self.sandbox.oom_kills()
                return
            output = self.sandbox.output() if self.sandbox else ""
            self.stop()
        raise WorkerStartError(f"the grading worker could not start a child: {output.strip()[-500:]}")

    def child_ended(self, answer: dict) -> None:
        """The worker said the child has gone (`answer`: its "ended" frame)."""
        self.child_owner = None
        if answer.get("clean") is not True:
            self.stop()

    def end_child(self) -> None:
        """Let the live child end and the worker tidy up; a sandbox that does not say so in time
        is killed."""
        if self.child_owner is None:
            return
        self.child_owner = None
        deadline = time.monotonic() + END_SECONDS
        try:
            self.send(("end",), deadline)
            while True:  # anything the child still sent (it should have sent nothing) is skipped
                answer = self.receive(deadline - time.monotonic())
                if answer is None:
                    break
                if isinstance(answer, dict) and "ended" in answer:
                    if answer.get("clean") is True:
                        return
                    break
        except (TimeoutError, EOFError, OSError, ValueError):
            pass
        self.stop()

    def kill_child(self) -> None:
        """The local placement's time-out and cancel: the child's process group killed, the worker
        kept (it says the child ended, and the next child is forked warm); without word from it in
        time, the worker is stopped too."""
        pid, self.child_pid, self.child_owner = self.child_pid, None, None
        if pid is None or not self.local:
            self.stop()
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + END_SECONDS
        try:
            while True:
                answer = self.receive(deadline - time.monotonic())
                if answer is None:
                    break
                if isinstance(answer, dict) and "ended" in answer:
                    return
        except (EOFError, OSError, ValueError):
            pass
        self.stop()

    def settle(self) -> None:
        """What the children printed so far, read (the local placement)."""
        if isinstance(self.sandbox, LocalProcess | LocalFork):
            self.sandbox.settle()

    def oom_since_child(self) -> bool:
        """Did the kernel kill a process at the memory limit since the live child began?"""
        return self.sandbox is not None and self.sandbox.oom_kills() > self._oom_before

    def output(self) -> str:
        return self.sandbox.output() if self.sandbox is not None else ""
