"""The local placement's launchers: the warm worker as a plain process of the student's.

:class:`LocalFork` forks it from the trusted host (:mod:`blitz.execution.host`) at the host's start,
so torch is imported once for ``blitz check``; :class:`LocalProcess` starts it anew (a later worker,
once the host has run torch operations). Each has the interface of :class:`blitz.execution.sandbox.process.Sandbox` that
:class:`blitz.execution.sandbox.session.SandboxSession` uses (alive, wait, oom_kills, output, kill),
without confinement: the student checking their own work is the user it runs as. It dies with the
process that started it (PDEATHSIG), has a session of its own (the front end's Ctrl-C is the front
end's), reads nothing from stdin, and its stdout and stderr (the student's prints, in its children)
go to a pipe drained by :class:`blitz.execution.output.Drain`, each chunk also given to ``sink``.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from blitz.execution.lifetime import die_with_parent, libc_prctl
from blitz.execution.output import Drain


class _Launched:
    """What both launchers share: the worker's output drained, its group killed, no cgroup (no OOM count)."""

    confined = False
    pid: int
    _drain: Drain

    def wait(self, timeout: float | None = None) -> int | None:
        raise NotImplementedError

    def alive(self) -> bool:
        return self.wait(0) is None

    def oom_kills(self) -> int:
        return 0

    def output(self) -> str:
        return self._drain.text()

    def settle(self) -> None:
        self._drain.settle()

    def kill(self) -> bool:
        """The worker and its children (they die with it, and its group is killed) gone; reaped."""
        if self.wait(0) is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.wait(10) is None:  # pragma: no cover - uninterruptible sleep
            return False
        self._drain.close()
        return True


class LocalProcess(_Launched):
    def __init__(self, argv: list[str], cwd: str, pass_fds=(), sink: Callable[[bytes], None] | None = None):
        prctl = libc_prctl()
        parent = os.getpid()

        def _preexec():  # keep minimal: runs between fork and exec
            if prctl is not None:
                die_with_parent(prctl, parent)

        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        out_r, out_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                close_fds=True,
                pass_fds=tuple(pass_fds),
                start_new_session=True,
                preexec_fn=_preexec,
            )
        except BaseException:
            os.close(out_r)
            raise
        finally:
            os.close(out_w)
        self.pid = self._proc.pid
        self._drain = Drain(out_r, also=sink)

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


class LocalFork(_Launched):
    """:class:`LocalProcess`'s interface, the worker forked from the trusted host instead of started
    anew: it inherits the torch, torchvision and probes the host imported, so ``blitz check`` imports
    torch once. The host forks it once, at its start, before it imports the checks, starts a thread
    or runs any torch operation (a fork after OpenMP has run can hang); later workers are
    :class:`LocalProcess`. ``serve`` runs in the fork, which then exits; it never returns there."""

    def __init__(self, serve: Callable[[], None], cwd: str, pass_fds=(), sink: Callable[[bytes], None] | None = None):
        out_r, out_w = os.pipe()
        parent = os.getpid()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            _become_worker(parent, cwd, out_w, tuple(pass_fds), serve)
        os.close(out_w)
        self.pid = pid
        self.status: int | None = None
        self._drain = Drain(out_r, also=sink)

    def wait(self, timeout: float | None = None) -> int | None:
        """Its exit code (as ``os.waitstatus_to_exitcode``), or None while it runs past `timeout`."""
        end = None if timeout is None else time.monotonic() + timeout
        while self.status is None:
            try:
                done, status = os.waitpid(self.pid, 0 if timeout is None else os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: gone
                self.status = -signal.SIGKILL
                break
            if done == self.pid:
                self.status = os.waitstatus_to_exitcode(status)
            elif end is not None and time.monotonic() >= end:
                return None
            else:
                time.sleep(0.01)
        return self.status


def _become_worker(parent: int, cwd: str, out: int, keep: tuple[int, ...], serve: Callable[[], None]) -> None:
    """In the fork: what :class:`LocalProcess`'s Popen arranges (a session of its own, death with the
    host, no stdin, stdout and stderr unbuffered into `out`, no other fd of the host's), then `serve`."""
    code = 0
    try:
        os.setsid()
        die_with_parent(parent=parent)
        os.chdir(cwd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        low = 3
        for fd in sorted({fd for fd in keep if fd > 2}):  # the rest of the host's fds closed (`out` too)
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, os.sysconf("SC_OPEN_MAX"))
        # As PYTHONUNBUFFERED does for LocalProcess: what a child prints reaches the host at once.
        for fd, name in ((1, "stdout"), (2, "stderr")):
            old = getattr(sys, name)
            raw = io.FileIO(fd, "w", closefd=False)
            encoding, errors = getattr(old, "encoding", "utf-8"), getattr(old, "errors", "strict")
            setattr(sys, name, io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True))
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=sys.stdout.encoding)
        serve()
    except BaseException:  # noqa: BLE001 - the fork never returns into the host's code
        code = 70
    os._exit(code)
