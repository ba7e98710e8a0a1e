"""A job's fresh child (``blitz report``'s training), forked from the local host, never reused.

It becomes its own process group leader (the supervisor kills the group: the student's own
subprocesses too), dies with the worker (PDEATHSIG), reads nothing from the worker's stdin, and
sends its output (fd 1 and 2, where the student's prints go) to the supervisor's output pipe. On its
control pipe it writes one JSON object per line:

    {"start": 0, "key": LABEL}                the job begins
    {"call": "tensors.gram"}                  student code runs now ("" when it returned)
    {"value": ...}                            a job's return value (:func:`run_job`)
    {"end": true}                             done: the child exits
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys

from blitz.execution.lifetime import die_with_parent

# The worker's stderr, for what the kit itself shows while student code runs (a progress bar);
# the student's own prints go to the output pipe. Set in the child only.
KIT_STDERR = None
# The worker's own fds (its answers' pipe) that a child must not hold.
WORKER_FDS: list[int] = []


class Control:
    """The control pipe: whole JSON lines, written in full."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, message: dict) -> None:
        data = (json.dumps(message, ensure_ascii=False) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data) :]


def become_child(parent_pid: int, out_fd: int) -> None:
    """The child's setup, first thing after fork()."""
    os.setpgid(0, 0)
    die_with_parent(parent=parent_pid)
    sys.dont_write_bytecode = True  # no __pycache__ in the student's folder, no stale bytecode after a quick save
    for fd in WORKER_FDS:
        os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    global KIT_STDERR
    KIT_STDERR = open(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115


def run_job(control: Control, request: dict) -> None:
    """Any other work next to student code: ``request["job"]`` names ``module:function`` (inside
    blitz), called with ``request["args"]``; its JSON return value is sent back."""
    from blitz.engine.student_code import set_listener

    set_listener(lambda what: control.send({"call": what}))
    module_name, _, function_name = request["job"].partition(":")
    if not module_name.startswith("blitz."):
        raise ValueError(f"not a blitz job: {request['job']}")
    job = getattr(importlib.import_module(module_name), function_name)
    control.send({"start": 0, "key": request.get("label", request["job"])})
    value = job(**request.get("args", {}))
    sys.stdout.flush()
    sys.stderr.flush()
    control.send({"value": value})


def child_main(parent_pid: int, control_fd: int, out_fd: int, request: dict, start: int) -> None:
    """Never returns: the child ends with os._exit, whatever happened."""
    code = 0
    try:
        become_child(parent_pid, out_fd)
        control = Control(control_fd)
        run_job(control, request)
        control.send({"end": True})
    except BaseException as exc:  # noqa: BLE001 - anything left is the kit's error: reported, then exit
        try:
            Control(control_fd).send({"error": f"{type(exc).__name__}: {exc}"})
        except BaseException:  # noqa: BLE001
            pass
        code = 70
    finally:
        os._exit(code)
