"""The sandboxed side of grading: serve probe requests next to one student's code.

Started by :class:`blitz.grading.sandbox.isolated.IsolatedSubmission` inside a :class:`blitz.grading.sandbox.process.Sandbox`:

    python -I -m blitz.grading.sandbox.worker REQUEST_FD RESPONSE_FD SUBMISSION_FOLDER THREADS

Requests are length-prefixed pickles from the trusted parent (it is safe to unpickle what the parent
sends). Answers are length-prefixed ``torch.save`` bytes of a probe envelope, which the parent reads
with ``weights_only=True``: whatever student code does here, the parent never unpickles its objects.
This module imports no reference solution; the sandbox hides their folder from this process.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import sys
import time

HEADER = struct.Struct(">Q")


def read_frame(fd: int, deadline: float | None = None, max_length: int | None = None) -> bytes:
    """One length-prefixed frame. EOFError: the writer has gone; TimeoutError: `deadline` (a
    ``time.monotonic()`` value) passed first; ValueError: the frame is longer than `max_length`."""
    (length,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if max_length is not None and length > max_length:
        raise ValueError(f"frame too large ({length} bytes)")
    return _read_exact(fd, length, deadline)


def _read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """One length-prefixed frame. With a `deadline` (a ``time.monotonic()`` value; `fd` non-blocking),
    TimeoutError when the reader has not taken it all by then."""
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError
        try:
            written = os.write(fd, view)
        except BlockingIOError:  # room for less than one atomic write yet
            continue
        view = view[written:]


def serve(request_fd: int, response_fd: int, folder: str, threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))
    from blitz.engine import wire
    from blitz.engine.student_code import StudentModules, run_probe
    from blitz.probes import PROBES

    # Only now, with torch and the kit imported, may the student's folder shadow module names.
    sys.path.insert(0, folder)
    modules = StudentModules(folder)
    write_frame(response_fd, wire.dumps({"ok": True, "value": "ready"}))
    while True:
        try:
            frame = read_frame(request_fd)
        except EOFError:  # the parent hung up
            return
        name, args, kwargs = pickle.loads(frame)
        probe = PROBES.get(name)
        if probe is None:
            envelope = {
                "ok": False,
                "error": {"type_name": "KitError", "message": f"unknown probe {name}", "kind": "raised"},
            }
        else:
            envelope = run_probe(probe, modules, args, kwargs)
        # Student code may have replaced sys.stdout or closed things; the answer goes straight to the fd.
        write_frame(response_fd, wire.dumps(envelope))


def main(argv: list[str]) -> int:
    request_fd, response_fd, folder, threads = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    serve(request_fd, response_fd, folder, threads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
