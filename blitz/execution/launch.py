"""The local placement's launcher: the warm worker as a plain process of the student's.

:class:`LocalProcess` has the interface of :class:`blitz.execution.sandbox.process.Sandbox` that
:class:`blitz.execution.sandbox.session.SandboxSession` uses (alive, wait, oom_kills, output, kill),
without confinement: the student checking their own work is the user it runs as. It dies with the
process that started it (PDEATHSIG), has a session of its own (the front end's Ctrl-C is the front
end's), reads nothing from stdin, and its stdout and stderr (the student's prints, in its children)
go to a pipe drained by :class:`blitz.execution.output.Drain`, each chunk also given to ``sink``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable

from blitz.execution.lifetime import die_with_parent, libc_prctl
from blitz.execution.output import Drain


class LocalProcess:
    confined = False

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

    def alive(self) -> bool:
        return self._proc.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def oom_kills(self) -> int:
        return 0

    def output(self) -> str:
        return self._drain.text()

    def settle(self) -> None:
        self._drain.settle()

    def kill(self) -> bool:
        """The worker and its children (they die with it, and its group is killed) gone; reaped."""
        if self._proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - uninterruptible sleep
            return False
        self._drain.close()
        return True
