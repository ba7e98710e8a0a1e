"""What student code prints, kept as a head and a tail: the one output capture of every placement.

- :class:`Printed` (local placement): the child's fd 1 and 2 go to a pipe its supervisor reads; it
  keeps the first and last lines (:data:`HEAD_LINES`, :data:`TAIL_LINES`, each cut at
  :data:`LINE_CHARS`) and counts the rest; :func:`printed_lines` shows them.
- :class:`Drain` (sandboxed placement): the sandboxed worker's stdout and stderr are the write end
  of a pipe created before the sandbox starts; the grader never opens a path for them (a path in the
  worker's folder could be a symlink or a FIFO the student planted). A thread drains the pipe so the
  worker never blocks on it, keeps the first and the last :data:`KEEP` bytes, and counts the rest.
"""

from __future__ import annotations

import os
import select
import threading
from collections import deque

from blitz.course.i18n import tr

KEEP = 8 << 10
HEAD_LINES = 10
TAIL_LINES = 10
LINE_CHARS = 300


class Printed:
    """What the student's code printed: the first and last lines, and how many were left out.

    Bytes go in as they come (bounded: a partial line longer than LINE_CHARS is cut)."""

    def __init__(self, head: int = HEAD_LINES, tail: int = TAIL_LINES):
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=tail)
        self.head_max = head
        self.total = 0
        self.partial = b""
        self.marked = -1  # where the running check's lines start (mark()), and its own first lines
        self.marked_head: list[str] = []

    def feed(self, data: bytes) -> None:
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()[: LINE_CHARS * 4]
        for line in lines:
            self._line(line)

    def _line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").rstrip("\r")
        if len(text) > LINE_CHARS:
            text = text[:LINE_CHARS] + " …"
        self.total += 1
        if self.marked >= 0 and len(self.marked_head) < self.head_max:
            self.marked_head.append(text)
        if len(self.head) < self.head_max:
            self.head.append(text)
        else:
            self.tail.append(text)

    def mark(self) -> int:
        """A check starts: its own first lines are kept from here on (since() shows them). Returns the mark."""
        self.marked, self.marked_head = self.total, []
        return self.marked

    def since(self, first: int) -> dict:
        """What was printed from line `first` on, in as_dict()'s form (the lines kept of those): from the
        last mark(), that check's own first lines; otherwise those of the first lines that come after `first`."""
        head = list(self.marked_head) if first == self.marked else self.head[first:]
        count = max(0, self.total - first)
        tail = list(self.tail)[-(count - len(head)) :] if count > len(head) else []
        return {"head": head, "tail": tail, "omitted": count - len(head) - len(tail)}

    def as_dict(self) -> dict:
        if self.partial:
            self._line(self.partial)
            self.partial = b""
        return {"head": self.head, "tail": list(self.tail), "omitted": self.total - len(self.head) - len(self.tail)}


def printed_lines(printed: dict | None, prefix: str = "  | ", lang: str = "both") -> list[str]:
    """The kept lines, and a line saying how many were left out between them."""
    if not printed:
        return []
    lines = [prefix + line for line in printed.get("head", [])]
    omitted = int(printed.get("omitted", 0))
    if omitted:
        left_out = tr("… {omitted} more lines left out …", omitted=omitted)
        lines.append(prefix + (f"{left_out.zh} / {left_out.en}" if lang == "both" else left_out.render(lang)))
    return lines + [prefix + line for line in printed.get("tail", [])]


class Drain:
    def __init__(self, fd: int, keep: int = KEEP, also=None):
        """`also`: called with each chunk too (the local placement feeds a :class:`Printed`)."""
        self.fd = fd
        self.keep = keep
        self.also = also
        self._pending = False  # a chunk read and not yet taken
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
                self._pending = bool(chunk)
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
        try:
            if self.also is not None:
                self.also(chunk)
            self._keep(chunk)
        finally:
            self._pending = False

    def _keep(self, chunk: bytes) -> None:
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

    def settle(self, seconds: float = 2.0) -> None:
        """Wait (at most `seconds`) until what is in the pipe now has been read."""
        import fcntl
        import struct
        import termios
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end and self.fd >= 0:
            try:
                waiting = struct.unpack("i", fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            except OSError:
                return
            if not waiting and not self._pending:
                time.sleep(0.005)  # a chunk the thread has just read, and not yet marked
                if not self._pending:
                    return
            time.sleep(0.005)

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
