"""What a sandboxed worker prints, read from a pipe the grader made, with a size cap.

The worker's stdout and stderr are the write end of a pipe created before the sandbox starts; the
grader never opens a path for them (a path in the worker's folder could be a symlink or a FIFO
the student planted). A thread drains the pipe so the worker never blocks on it, keeps the first
and the last :data:`KEEP` bytes, and counts the rest.
"""

from __future__ import annotations

import os
import select
import threading

KEEP = 8 << 10


class Drain:
    def __init__(self, fd: int, keep: int = KEEP):
        self.fd = fd
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="blitz-sandbox-output", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                ready = select.select([self.fd], [], [], 0.2)[0]
                chunk = os.read(self.fd, 1 << 16) if ready else None
            except OSError:
                return
            if chunk == b"":
                return  # every writer has gone
            if chunk is None:
                if self._stop.is_set():
                    return
                continue
            self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        with self._lock:
            self.total += len(chunk)
            room = self.keep - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                del self.tail[: max(0, len(self.tail) - self.keep)]

    def text(self) -> str:
        """The first and last KEEP bytes, with how much was left out between them."""
        with self._lock:
            left_out = self.total - len(self.head) - len(self.tail)
            middle = f"\n[... {left_out} bytes left out ...]\n" if left_out > 0 else ""
            data = bytes(self.head).decode("utf-8", "replace") + middle + bytes(self.tail).decode("utf-8", "replace")
        return data

    def close(self, seconds: float = 5.0) -> None:
        """Stop reading (after what is already in the pipe, or after `seconds`) and close the pipe."""
        self._stop.set()
        self._thread.join(seconds)
        if not self._thread.is_alive() and self.fd >= 0:
            fd, self.fd = self.fd, -1
            try:
                os.close(fd)
            except OSError:
                pass
