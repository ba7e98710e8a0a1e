"""Frames: the one bounded reader and writer of length-prefixed messages on a pipe.

An 8-byte big-endian length, then the payload. Every read from a pipe that student code can reach
takes a deadline and a maximum length (:func:`read_frame`), checked before each chunk, so a writer
that stalls in the middle of a frame, or announces a huge one, costs a TimeoutError or a ValueError,
never a hang or the grader's memory. (:mod:`multiprocessing.connection` frames the same way but can
block inside a frame once its first bytes came: no deadline within a frame.) What a frame carries
is decided by its users: :mod:`blitz.engine.wire` (safetensors) answers, and the one request the
sandboxed worker compares as bytes (:mod:`blitz.execution.worker`).
"""

from __future__ import annotations

import os
import select
import struct
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
