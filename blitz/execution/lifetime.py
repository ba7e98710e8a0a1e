"""How long a process of the kit lives, and who may look into it: the one die-with-parent and the
one not-dumpable switch, for every placement (the local warm worker and its children, the sandbox
launcher, the sandboxed worker, the grading pool).

Linux only (prctl); elsewhere these do nothing and the supervisors still kill process groups.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def libc_prctl():
    """libc's prctl, or None. Look it up before a fork that execs: nothing may be loaded between
    fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None


def die_with_parent(prctl=None, parent: int | None = None, signum: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `signum` (SIGKILL) to this process when its parent dies (even by SIGKILL).

    ``parent`` is the parent's pid as known before the fork: if it has already gone, exit at once.
    Between fork and exec pass ``prctl`` (from :func:`libc_prctl`, looked up before the fork).
    The signal follows the death of the parent *thread*, so a sandbox is started from the thread
    that stays until it is killed."""
    if prctl is None:
        prctl = libc_prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    if parent is not None and os.getppid() != parent:  # the parent died before the line above: go too
        os._exit(1)


def die_with(pid: int) -> None:
    """SIGKILL this process when process `pid` exits, `pid` not being its parent: a grading pool process
    is forked from multiprocessing's fork server, which lives as long as any pool process holds its
    pipe, so its parent's death cannot take it along; it must go with the grader. A daemon thread waits
    on a pidfd of `pid` (the kernel says when it exits; where there is none, it asks once a second). The
    sandboxes this process started go with it (their die-with-parent). `pid` gone already: exit now."""
    import threading

    try:
        fd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    except ProcessLookupError:
        os._exit(1)
    except OSError:  # a kernel before 5.3 (ENOSYS): ask instead
        fd = None
    if not pid_alive(pid):
        os._exit(1)

    def wait() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:  # pragma: no cover - no pidfd (not Linux 5.3+)
            while pid_alive(pid):
                time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, name="die-with", daemon=True).start()


def pid_alive(pid: int) -> bool:
    """Is process `pid` alive (someone else's counts)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        pass
    return True


def set_dumpable(flag: bool) -> bool:
    """PR_SET_DUMPABLE: a process that is not dumpable cannot be ptraced nor its /proc/PID/mem read
    by another process of the same uid without CAP_SYS_PTRACE, which nothing in the sandbox has."""
    prctl = libc_prctl()
    return prctl is not None and prctl(PR_SET_DUMPABLE, int(flag), 0, 0, 0) == 0
