"""Probes in a sandboxed worker process: how `blitz grade` runs code it does not trust.

One :class:`IsolatedSubmission` serves one (submission, exercise) pair. It starts a worker
(:mod:`blitz.grading.sandbox.worker`) in a :class:`blitz.grading.sandbox.process.Sandbox` on first use, sends it probe requests and
reads back safe values; the checks themselves run here, in the trusted parent. The exercise has one
time budget for all its probes. A worker that dies (``os._exit``, a kernel-level crash, the memory
limit) or overruns is killed with everything it started; the next probe starts a fresh one, up to
a few restarts, so one bad function costs only its own checks.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from blitz.course.registry import ROOT
from blitz.engine import wire
from blitz.engine.student_code import StudentError
from blitz.engine.submission import Submission
from blitz.grading import files
from blitz.grading.sandbox.process import Sandbox, SandboxPolicy, SandboxUnavailable
from blitz.grading.sandbox.view import essentials
from blitz.grading.sandbox.worker import read_frame, write_frame

MAX_STARTS = 3
STARTUP_SECONDS = 60.0  # importing torch in a cold worker; not charged to the student's budget


class WorkerStartError(RuntimeError):
    """The sandboxed worker died before any student code ran: a fault of the grader, not the student."""


def kit_secrets() -> list[str]:
    """The kit's paths no student code may read: reference solutions, tests, its git history."""
    import importlib.util

    paths = [ROOT / name for name in ("solutions", "tests", "autograder", ".git", "source", "release")]
    spec = importlib.util.find_spec("solutions")
    if spec is not None:
        paths += [Path(p) for p in (spec.submodule_search_locations or [])]
    return [str(p) for p in paths]


def copy_sources(source: Path, dest: Path) -> None:
    """Copy the submission's regular top-level .py files into `dest`, read-only, by the rules of
    :mod:`blitz.grading.files` (lstat, O_NOFOLLOW, size caps: nothing here blocks or follows a link)."""
    try:
        names = files.copy_python_files(source, dest)
    except files.UnsafeFile:  # refused before grading (discover.recheck); a file swapped since stays out
        names = [p.name for p in dest.glob("*.py")]
    for name in names:
        os.chmod(dest / name, 0o444)
    os.chmod(dest, 0o555)


def remove_tree(path: Path) -> None:
    """Remove a folder of the grader's, whatever is in it (deep trees included); never raises."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        pass
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False, timeout=300)


class IsolatedSubmission(Submission):
    def __init__(
        self,
        folder: Path | str,
        exercise_id: str,
        *,
        timeout: float,
        policy: SandboxPolicy | None = None,
        workdir: Path | None = None,
    ):
        """folder: the student's submission; only its .py files are copied into the worker's private
        directory, which is all of the submission the worker can see."""
        self.source = Path(folder).resolve()
        self.exercise_id = exercise_id
        self.label = f"{self.source.name}:{exercise_id}"
        self.budget = float(timeout)
        # A copy: the caller's policy may serve several submissions.
        self.policy = dataclasses.replace(policy) if policy is not None else SandboxPolicy()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="blitz-worker-")).resolve()
        self.code_dir = self.workdir / "submission"
        self.code_dir.mkdir(parents=True, exist_ok=True)
        copy_sources(self.source, self.code_dir)
        # The worker sees its copy (read-only) and nothing else of the submission; the kit's reference
        # solutions, its tests and history stay out of its sight even inside a kept folder.
        keep = (*essentials(), *self.policy.keep_paths, str(self.code_dir))
        self.policy.keep_paths = tuple(dict.fromkeys(keep))
        self.policy.hide_paths = tuple(dict.fromkeys((*self.policy.hide_paths, *kit_secrets())))
        self._sandbox: Sandbox | None = None
        self._request_w = self._response_r = -1
        self._starts = 0
        self._fatal: StudentError | None = None
        self.spent = 0.0

    # -- worker lifecycle -------------------------------------------------------------------------

    def _start(self) -> None:
        self._starts += 1
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        # -I drops PYTHONPATH and the user site; the kit's own folder is put on the path explicitly, so
        # a kit run from a checkout (not pip-installed) starts its workers too.
        bootstrap = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from blitz.grading.sandbox.worker import main; sys.exit(main(sys.argv[1:]))"
        argv = [
            sys.executable,
            "-I",
            "-c",
            bootstrap,
            str(request_r),
            str(response_w),
            str(self.code_dir),
            str(self.policy.cpu_threads),
        ]
        home = self.workdir / "home"  # its working folder only when it runs unconfined (--unsafe-no-sandbox)
        home.mkdir(exist_ok=True)
        try:
            self._sandbox = Sandbox(argv, str(home), self.policy, pass_fds=(request_r, response_w))
        except (SandboxUnavailable, OSError) as exc:
            os.close(request_w)
            os.close(response_r)
            raise WorkerStartError(str(exc)) from exc
        finally:
            os.close(request_r)
            os.close(response_w)
        os.set_blocking(request_w, False)  # a worker that stops reading cannot block the grader
        self._request_w, self._response_r = request_w, response_r
        try:
            ready = self._read(STARTUP_SECONDS)
        except (EOFError, OSError, ValueError):
            ready = None
        if ready is None:
            # No student code has run yet: this is the grader's own failure (a broken install, a sandbox
            # this machine refuses), and it is reported as such, not as the student's crash.
            output = self._sandbox.output() if self._sandbox else ""
            self._stop()
            raise WorkerStartError(f"the grading worker did not start: {output.strip()[-500:]}")

    def _stop(self) -> None:
        if self._sandbox is not None:
            self._sandbox.kill()
            self._sandbox = None
        for fd in (self._request_w, self._response_r):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._request_w = self._response_r = -1

    def close(self) -> None:
        self._stop()
        if self._own_workdir:
            remove_tree(self.workdir)

    # -- framing ----------------------------------------------------------------------------------

    def _read(self, seconds: float) -> Any:
        """One answer within `seconds`: None on timeout, EOFError when the worker is gone,
        ValueError when the answer is larger than wire.MAX_BYTES."""
        try:
            payload = read_frame(self._response_r, time.monotonic() + seconds, wire.MAX_BYTES)
        except TimeoutError:
            return None
        return wire.loads(payload)

    # -- probes -----------------------------------------------------------------------------------

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._fatal is not None:
            raise self._fatal
        remaining = self.budget - self.spent
        if remaining <= 0:
            raise self._timeout()
        if self._sandbox is None or not self._sandbox.alive():
            if self._starts >= MAX_STARTS:
                raise self._remember(
                    StudentError("WorkerCrashed", "the code crashed the grading process too many times", kind="crashed")
                )
            self._stop()
            self._start()
        started = time.monotonic()
        try:
            request = pickle.dumps((name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            write_frame(self._request_w, request, started + remaining)
            envelope = self._read(remaining - (time.monotonic() - started))
        except TimeoutError:  # it stopped reading its requests: its time runs out as in an endless loop
            envelope = None
        except Exception as exc:  # noqa: BLE001 - a dead worker, or bytes it garbled: the same to us
            self.spent += time.monotonic() - started
            return self._crashed(exc)
        self.spent += time.monotonic() - started
        if envelope is None:
            self._stop()
            raise self._timeout()
        if not isinstance(envelope, dict):
            return self._crashed(TypeError("malformed answer"))
        return self._unwrap(envelope)

    def _crashed(self, exc: BaseException) -> Any:
        sandbox = self._sandbox
        # A worker that hung up has exited or is about to (its status says how); one that sent garbage
        # is still running and gets no grace.
        code = sandbox.wait(2.0 if isinstance(exc, EOFError) else 0.05) if sandbox is not None else None
        output = sandbox.output() if sandbox is not None else ""
        oom = sandbox is not None and sandbox.oom_killed()
        self._stop()
        detail = (
            f"exit status {code}"
            if code is not None
            else f"it stopped answering or sent back unreadable data: {type(exc).__name__}"
        )
        if oom:
            detail += f", killed at the memory limit of {self.policy.memory_bytes / (1 << 30):g} GiB"
        raise StudentError(
            "WorkerCrashed",
            f"the grading process ended while running your code ({detail}); last output: {output.strip()[-300:]!r}",
            kind="crashed",
        )

    def _timeout(self) -> StudentError:
        return self._remember(
            StudentError(
                "Timeout",
                f"time limit of {self.budget:.0f} s for this exercise used up (an endless loop?)",
                kind="timeout",
            )
        )

    def _remember(self, error: StudentError) -> StudentError:
        self._fatal = error
        return error
