"""The warm worker: ``python -m blitz.execution.worker`` imports torch and the checks once, then runs
each request in a fresh forked child (:mod:`blitz.execution.supervise`).

Requests come on stdin, one JSON object per line; answers go to stdout, one per line:

    → {"op": "run", "id": 1, "folder": "/abs/exercises", "exercise": "tensors", "ctx": {...},
       "limit": 10.0}                                                an exercise's checks
    → {"op": "run", "id": 2, "job": "blitz.student.report:train_job", "args": {...}, "limit": 240}
    → {"op": "cancel", "id": 1}                                      stop request 1 (kills its child)
    ← {"event": "ready"}                                             once, when warm
    ← {"id": 1, "event": "running", "key": "tensors.gram", "call": "tensors.gram"}
    ← {"id": 1, "event": "done", "outcome": {...}}                   blitz.execution.protocol's outcome

The worker itself never runs torch operations (a fork after OpenMP has run hangs the child) and
never runs student code; it dies with the process that started it (PDEATHSIG), and so do its children.
"""

from __future__ import annotations

import json
import os
import select
import sys
from collections import deque

from blitz.execution import child
from blitz.execution.child import Control
from blitz.execution.lifetime import die_with_parent


class Requests:
    """Lines from stdin, read without blocking the supervisor."""

    def __init__(self, fd: int = 0):
        self.fd = fd
        self.buffer = b""
        self.queue: deque[dict] = deque()
        self.closed = False

    def pump(self) -> None:
        data = os.read(self.fd, 65536)
        if not data:
            self.closed = True
            return
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        for line in lines:
            if line.strip():
                self.queue.append(json.loads(line))

    def wait(self) -> None:
        while not self.queue and not self.closed:
            select.select([self.fd], [], [])
            self.pump()


def plan_of(request: dict) -> list[dict]:
    """Each check of the request, as the JSON of a result it has not given yet."""
    from blitz.checks import checks_for
    from blitz.engine.results import Status

    return [c.result(Status.FAILED, None, 0.0, None).to_json() for c in checks_for(request["exercise"])]


def warm_for(request: dict) -> None:
    """Import what the exercise's code imports at run time (registry.Exercise.warm_imports), here,
    once, before its child is forked: not charged to its time limit, and every later child has it.
    Only modules the kit names (train's optimizer.step() imports torch._dynamo); never the student's."""
    from blitz.course import registry
    from blitz.engine.imports import import_modules

    import_modules(registry.warm_imports([request.get("exercise")]))


def serve(requests: Requests, out: Control) -> None:
    from blitz.execution.supervise import run_exercise, run_job

    while True:
        requests.wait()
        if not requests.queue:
            return  # stdin closed: the front end is gone
        request = requests.queue.popleft()
        if request.get("op") != "run":
            continue
        ident = request["id"]
        cancel = {"op": "cancel", "id": ident}
        if cancel in requests.queue:  # cancelled before it began
            requests.queue.remove(cancel)
            out.send({"id": ident, "event": "done", "outcome": {"cancelled": True}})
            continue

        def emit(event: dict, ident=ident) -> None:
            out.send({**event, "id": ident})

        def on_ready(fd: int, cancel=cancel) -> bool:
            requests.pump()
            if requests.closed or cancel in requests.queue:
                if cancel in requests.queue:
                    requests.queue.remove(cancel)
                return True
            return False

        listen = ([requests.fd], on_ready)
        try:
            if request.get("job"):
                outcome = run_job(request, emit, listen)
            else:
                warm_for(request)
                outcome = run_exercise(request, plan_of(request), emit, listen)
        except Exception as exc:  # noqa: BLE001 - a bad request must not end the worker
            outcome = {"failed": f"{type(exc).__name__}: {exc}"}
        out.send({"id": ident, "event": "done", "outcome": outcome})
        if requests.closed:
            return


def main(argv: list[str]) -> int:
    parent = int(argv[argv.index("--parent") + 1]) if "--parent" in argv else os.getppid()
    die_with_parent(parent=parent)
    out = Control(os.dup(1))
    child.WORKER_FDS.append(out.fd)
    # Nothing of the kit's may write on the answers' pipe by mistake.
    os.dup2(2, 1)
    import torch  # noqa: F401 - warm: every child starts with torch imported

    from blitz.engine.imports import import_torchvision

    import_torchvision()  # warm too, without torch._dynamo (the data and pipeline checks use it)
    import blitz.checks  # noqa: F401
    import blitz.probes.local  # noqa: F401

    out.send({"event": "ready"})
    serve(Requests(0), out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
