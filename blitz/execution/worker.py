"""The warm worker's loop, the one of every placement: it forks a fresh child per (submission, exercise).

Started by :class:`blitz.execution.sandbox.session.SandboxSession`: sandboxed (``blitz grade``,
Gradescope, nbgrader scores) inside a :class:`blitz.execution.sandbox.process.Sandbox`, one per
submission; locally (``blitz check``, ``watch``, ``pytest``) as a plain process of the student's
(:class:`blitz.execution.launch.LocalProcess`), started by the trusted host that runs the checks
(:mod:`blitz.execution.host`). The placement decides only the launcher and the confinement:

    python -I -c BOOTSTRAP REQUEST_FD RESPONSE_FD SUBMISSION_FOLDER THREADS INIT

The worker imports torch, torchvision (torch._dynamo and torch's symbolic shapes deferred:
:func:`blitz.engine.imports.warm_torch`) and the probes once, says ``ready``, then waits for requests.
It never runs a torch operation itself (a fork after OpenMP has run can hang the child) and never runs
student code. Requests are length-prefixed pickles from the trusted parent, which the child unpickles
(it runs the student's code anyway) and the worker only compares with ``CHILD_REQUEST``; answers are
length-prefixed :mod:`blitz.engine.wire` frames, which the parent decodes with bounds:

    → ("child",)                      fork a fresh child; the child answers {"ok": true, "value": "child",
                                      "pid": PID} (its pid as this worker sees it)
    → ("probe", name, args, kwargs)   served by the child: a probe envelope {"ok": ...}, after any
                                      number of {"call": "tensors.gram"} frames (student code runs
                                      now: a time-out names it)
    → ("end",)                        the child exits
    ← {"ended": STATUS, "clean": bool} the worker, each time a child has gone (STATUS as
                                      os.waitstatus_to_exitcode: -11 for a segfault)

While a child lives the worker only waits for it; the child reads the requests. When it has gone
(its "end", ``os._exit``, a segfault, the memory limit's kill), the worker tidies the sandbox for
the next child: with INIT=1 it is pid 1 of the sandbox's pid namespace (``bwrap --as-pid-1``), so
nothing inside can kill it, every orphan is its child, and ``kill(-1)`` reaches every other process
of the sandbox; it kills them all, removes the SysV IPC objects and what children wrote in the tmpfs
(``/tmp``, ``/dev/shm``) and the POSIX message queues (``/dev/mqueue``). ``clean`` says whether
that worked; when it did not, the trusted side starts a fresh sandbox. The worker is not dumpable
(``PR_SET_DUMPABLE`` 0): a child, which runs the student's code as the same uid, can neither ptrace
it nor read or write its memory through /proc. With INIT=0 (``--unsafe-no-sandbox``) only the
child's process group is killed.

This module imports no reference solution; the sandbox hides their folder from this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

from blitz.execution.frames import read_frame, write_frame
from blitz.execution.lifetime import die_with_parent, set_dumpable

# The one request the worker itself takes, compared as bytes: a child can write into its own copy of
# the request pipe (reopened through /proc/self/fd), so the worker never unpickles what it reads.
CHILD_REQUEST = pickle.dumps(("child",), protocol=pickle.HIGHEST_PROTOCOL)
TIDY_SECONDS = 20.0  # killing the child's leftovers and emptying the tmpfs; beyond it: not clean
# The sandbox's tmpfs (its home), its shared memory and its POSIX message queues (bwrap --mqueue)
SCRATCH = ("/tmp", "/dev/shm", "/dev/mqueue")


# --------------------------------------------------------------------------- the child


def _teller(response_fd: int):
    """Tell the trusted side which student function runs now: each new one once (a loop calling
    the same function again and again sends one frame), never the return ("")."""
    from blitz.engine import wire

    last = [""]

    def tell(what: str) -> None:
        if what and what != last[0]:
            last[0] = what
            write_frame(response_fd, wire.dumps({"call": what[:200]}))

    return tell


def child_main(request_fd: int, response_fd: int, folder: str, threads: int) -> None:
    """Serve one exercise's probes next to the student's code; never returns (os._exit)."""
    code = 0
    try:
        parent = os.getppid()
        os.setpgid(0, 0)  # its own group: without a pid namespace (local, unsafe), the worker kills the group
        die_with_parent(parent=parent)  # without a pid namespace, nothing else ends it with the worker
        set_dumpable(True)  # as an ordinary process (the worker, its parent, is not; see serve)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import torch

        from blitz.engine import wire
        from blitz.engine.student_code import StudentModules, run_probe, set_listener
        from blitz.probes import PROBES

        if threads > 0:  # here, not in the worker: it never touches OpenMP (0: torch's own choice, locally)
            torch.set_num_threads(threads)
        # Only in the child, with torch and the kit imported, may the student's folder shadow module names.
        sys.path.insert(0, folder)
        modules = StudentModules(Path(folder))
        set_listener(_teller(response_fd))
        write_frame(response_fd, wire.dumps({"ok": True, "value": "child", "pid": os.getpid()}))
        while True:
            message = pickle.loads(read_frame(request_fd))
            if message[0] != "probe":
                break
            _, name, args, kwargs = message
            probe = PROBES.get(name)
            if probe is None:
                error = {"type_name": "KitError", "message": f"unknown probe {name}", "kind": "raised"}
                envelope = {"ok": False, "error": error}
            else:
                envelope = run_probe(probe, modules, args, kwargs)
            _flush()  # what the probe printed, out before its answer (a later time-out kills this child)
            # Student code may have replaced sys.stdout or closed things; the answer goes straight to the fd.
            write_frame(response_fd, wire.dumps(envelope))
    except BaseException:  # noqa: BLE001 - the parent hung up, or the kit failed: the child ends either way
        code = 70
    finally:
        _flush()
        os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a stream the student replaced or closed
            pass


# --------------------------------------------------------------------------- the worker


def wait_for(pid: int, init: bool) -> int:
    """The child's wait status; as pid 1, every orphan that ends meanwhile is reaped too."""
    while True:
        try:
            done, status = os.waitpid(-1 if init else pid, 0)
        except InterruptedError:
            continue
        if done == pid:
            return status


def _remove_ipc() -> None:
    """Every SysV shared memory segment, message queue and semaphore set of the sandbox's IPC namespace."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    remove = {"shm": lambda i: libc.shmctl(i, 0, None), "msg": lambda i: libc.msgctl(i, 0, None)}
    remove["sem"] = lambda i: libc.semctl(i, 0, 0)
    for kind, rm in remove.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                ids = [int(line.split()[1]) for line in table.read().splitlines()[1:] if line.strip()]
        except (OSError, ValueError, IndexError):
            continue
        for ident in ids:
            rm(ident)  # IPC_RMID


def scratch_entries() -> dict[str, set[str]]:
    """What the tmpfs folders hold: at the start, the folders bwrap made on the way to the kept paths
    (root's, or read-only); later, whatever children wrote too."""
    found: dict[str, set[str]] = {}
    for folder in SCRATCH:
        try:
            found[folder] = set(os.listdir(folder))
        except OSError:
            found[folder] = set()
    return found


def _empty_scratch(baseline: dict[str, set[str]], deadline: float) -> bool:
    """Remove what children wrote in the tmpfs folders; never what was there at the start."""
    now = scratch_entries()
    entries = [os.path.join(f, name) for f, names in now.items() for name in sorted(names - baseline.get(f, set()))]
    if not entries:
        return True
    try:
        subprocess.run(
            ["rm", "-rf", "--one-file-system", "--", *entries],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=max(1.0, deadline - time.monotonic()),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return scratch_entries() == baseline


def tidy(pid: int, init: bool, baseline: dict[str, set[str]]) -> bool:
    """Leave nothing of the last child for the next one; True when that worked."""
    if not init:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        return True
    deadline = time.monotonic() + TIDY_SECONDS
    while True:  # kill(-1) as pid 1: every other process of this pid namespace
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break  # none left: every process of the sandbox but this one is gone
        if done == 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
    try:
        _remove_ipc()
    except OSError:
        return False
    return _empty_scratch(baseline, deadline)


def serve(request_fd: int, response_fd: int, folder: str, threads: int, init: bool) -> None:
    from blitz.engine import wire
    from blitz.engine.imports import warm_torch

    # torch: every child starts with it imported; torchvision too (the data and pipeline probes use it;
    # None: they say so themselves)
    warm_torch()
    from blitz.probes import PROBES  # noqa: F401 - every probe module imported once

    baseline = scratch_entries() if init else {}
    if init:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # pid 1 ignores what it does not handle; so does this
        # Its children run student code as the same uid: they must not trace it or write its memory.
        set_dumpable(False)
    write_frame(response_fd, wire.dumps({"ok": True, "value": "ready"}))
    while True:
        try:
            frame = read_frame(request_fd)
        except EOFError:  # the parent hung up
            return
        if frame != CHILD_REQUEST:
            continue  # a request for a child that has gone; its "ended" is on its way already
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child_main(request_fd, response_fd, folder, threads)
        status = wait_for(pid, init)
        clean = tidy(pid, init, baseline)
        write_frame(response_fd, wire.dumps({"ended": os.waitstatus_to_exitcode(status), "clean": clean}))


def main(argv: list[str]) -> int:
    request_fd, response_fd, folder, threads = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    init = len(argv) > 4 and argv[4] == "1" and os.getpid() == 1
    serve(request_fd, response_fd, folder, threads, init)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
