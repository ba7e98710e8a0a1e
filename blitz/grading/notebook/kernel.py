"""The trusted launcher of a sandboxed notebook kernel: what the ``blitz-sandbox`` kernelspec runs.

    python -c BOOTSTRAP -f CONNECTION_FILE [KERNEL ARGS...]      (started by Jupyter, cwd = the notebook's folder)

Jupyter (nbgrader's process, and the repair's) writes a connection file for the ``ipc`` transport: the
kernel's five sockets are unix sockets at ``<ip>-<port>`` in Jupyter's runtime folder. This launcher:

1. refuses anything but ``ipc`` (with the network namespace unshared, TCP to the host is impossible);
2. makes a private folder: a bounded copy of the notebook's folder (regular files only, read by
   :func:`blitz.execution.files.read_regular`: no link followed, no FIFO opened), the kernel's
   connection file (its ``ip`` moved into the folder below), and ``ipc/``, the one folder the kernel
   may write on the host: owned by root, mode 0733, so the kernel (uid 65534) can bind its sockets
   there and neither list nor touch anything else;
3. links each ``<ip>-<port>`` that Jupyter will connect to to that socket;
4. runs the kernel (:mod:`.inside`) in a :class:`~blitz.execution.sandbox.process.Sandbox`: the policy
   of `blitz grade` (pid, network, IPC, UTS, mount and user namespaces, uid 65534, a tmpfs home, a
   cgroup), seeing the system, Python, the kit's package, the data and its own copy, nothing else;
5. when the kernel says its sockets are bound, and before any student code runs, checks they are
   sockets and locks ``ipc/`` (mode 0711): from then on the kernel cannot replace a socket by a link
   for the grader's client to follow;
6. when the kernel ends (or Jupyter stops this launcher with SIGTERM), kills the sandbox with all it
   started and removes its cgroup, the links and the private folder. Killed with SIGKILL, the sandbox
   still dies with it (``die-with-parent``); `blitz course-autograde` then removes what is left.
"""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.course.registry import ROOT

if TYPE_CHECKING:
    from blitz.execution.sandbox.process import Sandbox

KERNEL_NAME = "blitz-sandbox"
SCRATCH_ENV = "BLITZ_KERNEL_SCRATCH"  # where the private folders go (course-autograde's own, removed after)
HIDE_ENV = "BLITZ_KERNEL_HIDE"  # more paths no kernel may see (os.pathsep-separated: the course folder)
GRADED_ENV = "BLITZ_SCORED_BY_KIT"  # in the kernel: the test cells' checks are run by the grader instead
READY_SECONDS = 120.0  # the kernel's start (ipykernel's imports) on a loaded machine
MEMORY_BYTES = 3 << 30
MAX_FILES, MAX_FILE_BYTES, MAX_TOTAL_BYTES = 100, 32 << 20, 128 << 20
PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def kernelspec(folder: Path) -> Path:
    """Write the ``blitz-sandbox`` kernelspec into folder/kernels/ (put folder on JUPYTER_PATH)."""
    bootstrap = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from blitz.grading.notebook.kernel import main; sys.exit(main(sys.argv[1:]))"
    )
    spec = {
        "argv": [sys.executable, "-c", bootstrap, "-f", "{connection_file}"],
        "display_name": "Python 3 (blitz sandbox)",
        "language": "python",
        "interrupt_mode": "message",  # no signal reaches into the sandbox; ipykernel interrupts itself
    }
    path = folder / "kernels" / KERNEL_NAME / "kernel.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return path


def copy_folder(source: Path, dest: Path) -> None:
    """The notebook's folder as the kernel gets it: its regular files, within the caps, read-only."""
    from blitz.execution.files import UnsafeFile, read_regular

    dest.mkdir()
    total = 0
    try:
        entries = sorted(os.scandir(source), key=lambda e: e.name)
    except OSError:
        entries = []
    for entry in entries[: MAX_FILES * 4]:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES or total + info.st_size > MAX_TOTAL_BYTES:
            continue
        try:
            data = read_regular(entry.path, MAX_FILE_BYTES)
        except UnsafeFile:
            continue
        (dest / entry.name).write_bytes(data)
        os.chmod(dest / entry.name, 0o444)
        total += len(data)
        if len(list(dest.iterdir())) >= MAX_FILES:
            break
    os.chmod(dest, 0o555)


class SandboxedKernel:
    def __init__(self, connection: dict, notebook_dir: Path, scratch: Path, extra: list[str]):
        self.connection = connection
        self.extra = extra
        self.links: list[str] = []
        self.sandbox: Sandbox | None = None
        self.private = Path(tempfile.mkdtemp(prefix="kernel-", dir=scratch))
        os.chmod(self.private, 0o711)
        self.work = self.private / "work"
        copy_folder(notebook_dir, self.work)
        self.ipc = self.private / "ipc"
        self.ipc.mkdir()
        os.chmod(self.ipc, 0o733)  # root's; others may create entries (the kernel's sockets), not list them
        inner = dict(connection, ip=str(self.ipc / "k"))
        self.connection_file = self.private / "connection.json"
        self.connection_file.write_text(json.dumps(inner), encoding="utf-8")
        os.chmod(self.connection_file, 0o444)
        for port in PORTS:
            link = f"{connection['ip']}-{connection[port]}"
            os.symlink(f"{inner['ip']}-{connection[port]}", link)
            self.links.append(link)

    def policy(self):
        from blitz.course import mnist
        from blitz.execution.sandbox.process import SandboxPolicy
        from blitz.execution.sandbox.view import essentials, kit_secrets

        data = str(mnist.data_root())
        env = {"BLITZ_DATA": data, GRADED_ENV: "1", "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg"}
        if os.environ.get("BLITZ_LANG"):
            env["BLITZ_LANG"] = os.environ["BLITZ_LANG"]
        hide = [*kit_secrets(), *filter(None, os.environ.get(HIDE_ENV, "").split(os.pathsep))]
        keep = (*essentials(), data, str(self.work), str(self.connection_file))
        return SandboxPolicy(
            memory_bytes=MEMORY_BYTES,
            cpu_threads=1,
            keep_paths=tuple(dict.fromkeys(keep)),
            hide_paths=tuple(dict.fromkeys(hide)),
            writable_paths=(str(self.ipc),),
            extra_env=env,
        )

    def run(self) -> int:
        from blitz.execution.sandbox.process import Sandbox

        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        bootstrap = (
            f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from blitz.grading.notebook.inside import main; sys.exit(main(sys.argv[1:]))"
        )
        argv = [sys.executable, "-I", "-c", bootstrap, str(self.connection_file), str(self.work)]
        argv += [str(ready_w), str(go_r), *self.extra]
        try:
            self.sandbox = sandbox = Sandbox(argv, str(self.private), self.policy(), pass_fds=(ready_w, go_r))
        finally:
            os.close(ready_w)
            os.close(go_r)
        try:
            ok = self._handshake(ready_r, go_w)
        finally:
            os.close(ready_r)
            os.close(go_w)
        if not ok:
            print(f"blitz: the sandboxed kernel did not start: {sandbox.output()[-2000:]}", file=sys.stderr)
            return 1
        rc = sandbox.wait()
        return 0 if rc is None else rc

    def _handshake(self, ready_r: int, go_w: int) -> bool:
        """Wait for 'sockets bound'; check them and lock their folder; then let the kernel go."""
        if not select.select([ready_r], [], [], READY_SECONDS)[0] or os.read(ready_r, 1) != b"1":
            return False
        for port in PORTS:
            path = self.ipc / f"k-{self.connection[port]}"
            try:
                if not stat.S_ISSOCK(os.lstat(path).st_mode):
                    return False
            except OSError:
                return False
        os.chmod(self.ipc, 0o711)
        os.write(go_w, b"1")
        return True

    def close(self) -> None:
        from blitz.execution.files import remove_tree

        if self.sandbox is not None:
            self.sandbox.kill()
        for link in self.links:
            if os.path.islink(link):
                os.unlink(link)
        remove_tree(self.private)


def _arguments(argv: list[str]) -> tuple[str, list[str]]:
    if len(argv) < 2 or argv[0] != "-f":
        raise SystemExit("usage: blitz.grading.notebook.kernel -f CONNECTION_FILE [KERNEL ARGS...]")
    return argv[1], argv[2:]


def main(argv: list[str]) -> int:
    connection_file, extra = _arguments(argv)
    with open(connection_file, encoding="utf-8") as f:
        connection = json.load(f)
    if connection.get("transport") != "ipc" or not os.path.isabs(str(connection.get("ip", ""))):
        print(
            "blitz: the sandboxed kernel needs Jupyter's ipc transport at an absolute path "
            "(--KernelManager.transport=ipc --KernelManager.ip=/a/private/folder/kernel): its network "
            "namespace has no way to the host's TCP ports",
            file=sys.stderr,
        )
        return 2

    def stop(signum, frame):  # Jupyter's terminate, or its process gone: the sandbox goes with us
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    _term_with_parent()
    scratch = Path(os.environ.get(SCRATCH_ENV) or tempfile.gettempdir())
    kernel = SandboxedKernel(connection, Path.cwd(), scratch, extra)
    try:
        return kernel.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # the cleanup runs to its end
            signal.signal(signum, signal.SIG_IGN)
        kernel.close()


def _term_with_parent() -> None:
    """SIGTERM when the process that started this launcher (nbgrader's) dies, so the cleanup runs."""
    from blitz.execution.lifetime import die_with_parent

    parent = os.getppid()
    die_with_parent(signum=signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
