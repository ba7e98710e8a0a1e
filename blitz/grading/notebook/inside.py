"""The sandboxed kernel's first step (runs inside the sandbox, before any student code).

    python -I -c BOOTSTRAP CONNECTION_FILE WORK_COPY READY_FD GO_FD [KERNEL ARGS...]

It copies the notebook's folder (read-only in the sandbox) into its tmpfs home and works there,
binds the kernel's sockets (ipykernel's ``initialize``), tells the trusted launcher that they exist
(READY_FD) and waits for its go (GO_FD): meanwhile the launcher locks the socket folder, so no
student code can ever replace a socket by a link the grader's Jupyter client would follow. Only
then does the kernel serve, and run the student's cells.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

SOCKET_WAIT = 30.0  # s: ipykernel binds its heartbeat socket in a thread of its own


def socket_paths(connection: dict) -> list[str]:
    ports = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
    return [f"{connection['ip']}-{connection[p]}" for p in ports]


def main(argv: list[str]) -> int:
    connection_file, work_copy, ready_fd, go_fd = argv[0], argv[1], int(argv[2]), int(argv[3])
    work = Path(os.environ.get("HOME", "/tmp")) / "notebook"
    shutil.copytree(work_copy, work)
    for path in (work, *work.iterdir()):
        path.chmod(0o700 if path.is_dir() else 0o600)
    os.chdir(work)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    # No IPython history: its sqlite file in the sandbox's tmpfs home cannot be locked there, and IPython
    # waits out sqlite's busy timeout three times (15 s) before it gives up on it, at every kernel start.
    app.initialize(["-f", connection_file, "--HistoryManager.enabled=False", *argv[4:]])
    with open(connection_file, encoding="utf-8") as f:
        paths = socket_paths(json.load(f))
    deadline = time.monotonic() + SOCKET_WAIT
    while not all(os.path.exists(p) for p in paths) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.write(ready_fd, b"1")
    os.close(ready_fd)
    go = os.read(go_fd, 1)
    os.close(go_fd)
    if go != b"1":
        return 1
    app.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
