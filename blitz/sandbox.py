"""Launch and manage an untrusted Python worker process (stdlib only, Linux-first).

What a :class:`Sandbox` applies, each layer only where this machine allows it (probed once,
see :func:`isolation_available`; what was really applied is in ``Sandbox.isolation``):

* a new session / process group, stdin from ``/dev/null``, stdout+stderr to a file;
* a scrubbed environment (no parent secrets) carrying a unique ``BLITZ_SANDBOX_TOKEN``;
* rlimits: ``RLIMIT_DATA`` = ``memory_bytes`` (not ``RLIMIT_AS``: a CUDA build of torch maps
  ~3.3 GB of address space just to ``import torch``, and CUDA reserves far more), ``RLIMIT_CORE`` = 0;
* via ``unshare(1)`` (as root, or as an ordinary user through a user namespace):
  a new network namespace (no network, not even the host's loopback), a pid namespace (killing
  the sandbox kills everything in it; a private ``/proc`` hides the host's processes), and a
  private mount namespace in which every ``hide_paths`` entry is covered by an empty read-only
  tmpfs.  The worker itself then runs in a further, nested user namespace, so those covering
  mounts are locked (it cannot unmount them) and, when we are root, it holds no capabilities
  over the host (it cannot ``setns`` back into the host network, remount, ...).

:meth:`Sandbox.kill` SIGKILLs the process group, and then every process whose environment
still holds this sandbox's token (this catches ``setsid``/double-fork escapes even when no pid
namespace is available).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
import warnings
from dataclasses import dataclass, field

try:  # not on Windows
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

__all__ = ["SandboxPolicy", "Sandbox", "isolation_available", "describe_isolation"]

TOKEN_VAR = "BLITZ_SANDBOX_TOKEN"
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)
SETUP_FAILED = 125  # exit status of the wrapper when a namespace/mount step failed
_HIDE_OPTS = "ro,nosuid,nodev,noexec,size=16k,mode=0555"


@dataclass
class SandboxPolicy:
    memory_bytes: int = 3 << 30  # RLIMIT_DATA for the child (see module doc for why not RLIMIT_AS)
    cpu_threads: int = 1  # OMP_NUM_THREADS / MKL_NUM_THREADS etc. for the child
    network: bool = False  # False: run in a new network namespace when possible
    hide_paths: tuple[str, ...] = ()  # covered by an empty tmpfs in a private mount namespace when possible
    extra_env: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- probing

_probe_lock = threading.Lock()
_probe: dict | None = None


def _run_quiet(cmd: list[str], timeout: float = 10.0, **kw) -> bool:
    try:
        return (
            subprocess.run(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=timeout, **kw,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def _data_limit_probe() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (64 << 20, 64 << 20))


def _do_probe() -> dict:
    p: dict = {"netns": False, "mountns": False, "rlimit": False, "pidns": False, "userns": False,
               "procfs": False, "nested_userns": False, "root": False, "unshare": None}
    # rlimit: does RLIMIT_DATA really cap anonymous mmap (Linux >= 4.7)?
    if resource is not None and hasattr(resource, "RLIMIT_DATA") and sys.executable:
        try:
            r = subprocess.run(
                [sys.executable, "-I", "-S", "-c", "bytearray(256 << 20)"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                preexec_fn=_data_limit_probe, timeout=30,
            )
            p["rlimit"] = r.returncode != 0 and b"MemoryError" in r.stderr
        except (OSError, subprocess.SubprocessError):
            pass
    if not sys.platform.startswith("linux"):
        return p
    unshare, sh, mount = shutil.which("unshare"), shutil.which("sh"), shutil.which("mount")
    if not unshare:
        return p
    p["unshare"] = unshare
    root = p["root"] = os.geteuid() == 0
    p["userns"] = _run_quiet([unshare, "--user", "--map-root-user", "true"])
    if not root and not p["userns"]:
        return p  # an ordinary user needs a user namespace for every other namespace
    u = [] if root else ["--user", "--map-root-user"]
    p["netns"] = _run_quiet([unshare, *u, "--net", "true"])
    if sh and mount:
        d = tempfile.mkdtemp(prefix="blitz-probe-")
        try:
            open(os.path.join(d, "probe"), "w").close()
            script = (f'mount -t tmpfs -o {_HIDE_OPTS} blitz-hidden "$1" && [ ! -e "$1/probe" ] || exit 1\n'
                      'shift; exec "$@"')
            ok = _run_quiet([unshare, *u, "--mount", "--propagation", "private", "--",
                             sh, "-c", script, "sh", d, "true"])
            # the host must be unaffected
            p["mountns"] = ok and os.path.exists(os.path.join(d, "probe")) and not os.path.ismount(d)
            if p["mountns"] and p["userns"]:
                p["nested_userns"] = _run_quiet([unshare, *u, "--mount", "--propagation", "private", "--",
                                                 sh, "-c", script, "sh", d,
                                                 unshare, "--user", "--map-root-user", "--mount", "true"])
        finally:
            shutil.rmtree(d, ignore_errors=True)
    pid = [unshare, *u, "--pid", "--fork", "--kill-child"]
    if p["mountns"] and _run_quiet([*pid, "--mount", "--propagation", "private", "--mount-proc", "true"]):
        p["pidns"] = p["procfs"] = True
    else:
        p["pidns"] = _run_quiet([*pid, "true"])
    return p


def _probe_all() -> dict:
    global _probe
    with _probe_lock:
        if _probe is None:
            _probe = _do_probe()
        return _probe


def isolation_available() -> dict[str, bool]:
    """Cached probe: ``{"netns", "mountns", "rlimit", "pidns", "userns", "procfs"}`` -> bool."""
    p = _probe_all()
    return {k: bool(p[k]) for k in ("netns", "mountns", "rlimit", "pidns", "userns", "procfs")}


def _gib(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"


def describe_isolation(policy: SandboxPolicy | None = None) -> str:
    """One line: what a sandbox with ``policy`` (default policy if None) gets on this machine."""
    policy = policy or SandboxPolicy()
    p = _probe_all()
    via = "" if p["root"] else " via userns"
    parts = ["process group"]
    parts.append(f"rlimit data {_gib(policy.memory_bytes)}" if p["rlimit"]
                 else "NO memory limit (RLIMIT_DATA not enforced)")
    if policy.network:
        parts.append("network allowed")
    else:
        parts.append(f"no network{via}" if p["netns"] else "NETWORK NOT ISOLATED (no netns)")
    if p["pidns"]:
        parts.append("pid namespace" + ("" if p["procfs"] else " (host /proc visible)"))
    else:
        parts.append("no pid namespace (kill by token scan)")
    if p["mountns"]:
        parts.append("hidden paths" + ("" if p["nested_userns"] else " (unlockable)"))
    else:
        parts.append("paths NOT hidden (no mount namespace)")
    if p["root"] and not p["userns"]:
        parts.append("child keeps root capabilities")
    return ", ".join(parts)


# --------------------------------------------------------------------------- sandbox


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _proc_pids():
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for n in names:
        if n.isdigit():
            yield int(n)


class Sandbox:
    """A running untrusted worker; see the module docstring.  ``pid`` is the outermost
    process (the ``unshare`` wrapper when namespaces are used)."""

    def __init__(self, argv: list[str], cwd: str, policy: SandboxPolicy, pass_fds=(),
                 stdout_path: str | None = None):
        if not argv:
            raise ValueError("empty argv")
        self.policy = policy
        self.token = uuid.uuid4().hex
        self.stdout_path = stdout_path
        self._killed = False
        p = _probe_all()
        cwd = os.path.realpath(cwd)
        if not os.path.isdir(cwd):
            raise FileNotFoundError(cwd)

        # -- environment: nothing inherited but PATH
        tmpdir = os.path.join(cwd, ".tmp")
        try:
            os.makedirs(tmpdir, exist_ok=True)
        except OSError:
            tmpdir = cwd
        env = {"PATH": os.environ.get("PATH") or os.defpath, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "HOME": cwd, "TMPDIR": tmpdir, "PYTHONUNBUFFERED": "1"}
        env.update({v: str(policy.cpu_threads) for v in THREAD_VARS})
        env.update({str(k): str(v) for k, v in policy.extra_env.items()})
        env[TOKEN_VAR] = self.token

        # -- hidden paths (outermost first; nested ones are covered anyway; missing ones skipped)
        hide: list[str] = []
        for h in sorted({os.path.realpath(h) for h in policy.hide_paths}, key=len):
            if _inside(cwd, h):
                raise ValueError(f"cwd {cwd} lies inside hidden path {h}")
            if os.path.lexists(h) and not any(_inside(h, k) for k in hide):
                hide.append(h)

        # -- namespaces
        iso = {"process_group": True, "rlimit": None, "netns": False, "pidns": False, "procfs": False,
               "mountns": False, "hidden": [], "locked": False, "userns": False, "not_hidden": []}
        want_net = not policy.network and p["netns"]
        want_mount = bool(hide) and p["mountns"]
        want_pid = p["pidns"]
        if hide and not want_mount:
            iso["not_hidden"] = hide
            warnings.warn(f"blitz.sandbox: cannot hide {hide} (no mount namespace)", RuntimeWarning, stacklevel=2)
        if not policy.network and not want_net:
            warnings.warn("blitz.sandbox: network not isolated (no network namespace)", RuntimeWarning, stacklevel=2)
        cmd = list(argv)
        if want_net or want_mount or want_pid:
            unshare = p["unshare"]
            # innermost: a nested user namespace locks our tmpfs covers (and, as root, drops host capabilities)
            if p["userns"] and (p["root"] or (want_mount and p["nested_userns"])):
                inner = [unshare, "--user", "--map-root-user"]
                if want_mount and p["nested_userns"]:
                    inner.append("--mount")
                    iso["locked"] = True
                cmd = [*inner, "--", *cmd]
                iso["userns"] = True
            outer = [unshare]
            if not p["root"]:
                outer += ["--user", "--map-root-user"]
                iso["userns"] = True
            if want_net:
                outer.append("--net")
            if want_mount or (want_pid and p["procfs"]):
                outer += ["--mount", "--propagation", "private"]
            if want_pid:
                outer += ["--pid", "--fork", "--kill-child"]
                if p["procfs"]:
                    outer.append("--mount-proc")
            # middle: sh does the mounts, and serves as pid 1 of the pid namespace (a Python pid 1 would
            # ignore signals it has no handler for, e.g. its own SIGKILL/SIGABRT)
            lines = [f"mount -t tmpfs -o {_HIDE_OPTS} blitz-hidden {shlex.quote(h)} || exit {SETUP_FAILED}"
                     if os.path.isdir(h) else
                     f"mount --bind /dev/null {shlex.quote(h)} || exit {SETUP_FAILED}" for h in (hide if want_mount else [])]
            lines.append('"$@"; exit $?' if want_pid else 'exec "$@"')
            cmd = [*outer, "--", shutil.which("sh") or "/bin/sh", "-c", "\n".join(lines), "sh", *cmd]
            iso.update(netns=want_net, pidns=want_pid, procfs=want_pid and p["procfs"], mountns=want_mount,
                       hidden=hide if want_mount else [])
        self._wrapped = cmd[0] != argv[0]

        # -- rlimits (applied in the forked child before exec; inherited through unshare/sh)
        limits = []
        if resource is not None:
            if hasattr(resource, "RLIMIT_DATA"):
                mem = int(policy.memory_bytes)
                _, hard = resource.getrlimit(resource.RLIMIT_DATA)
                if hard != resource.RLIM_INFINITY:
                    mem = min(mem, hard)
                limits.append((resource.RLIMIT_DATA, (mem, mem)))
                iso["rlimit"] = f"RLIMIT_DATA={mem}" + ("" if p["rlimit"] else " (not enforced for mmap)")
            limits.append((resource.RLIMIT_CORE, (0, 0)))

        def _preexec(limits=tuple(limits)):  # keep minimal: runs between fork and exec
            for which, value in limits:
                resource.setrlimit(which, value)

        self.isolation = iso
        self.cmd = cmd
        out = open(stdout_path, "wb") if stdout_path else None
        try:
            self._proc = subprocess.Popen(
                cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=out if out else subprocess.DEVNULL, stderr=subprocess.STDOUT,
                close_fds=True, pass_fds=tuple(pass_fds), start_new_session=True,
                preexec_fn=_preexec if limits else None,
            )
        finally:
            if out:
                out.close()
        self.pid = self._proc.pid

    # ---------------------------------------------------------------- state

    def alive(self) -> bool:
        return self._proc.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        """Exit status of the worker, None on timeout.  Death by signal N gives -N (also when the
        worker ran behind the pid-namespace shell, which reports it as 128+N)."""
        try:
            rc = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if self._wrapped and self.isolation["pidns"] and 128 < rc < 160:
            return -(rc - 128)
        return rc

    @property
    def returncode(self) -> int | None:
        return None if self._proc.returncode is None else self.wait(0)

    # ---------------------------------------------------------------- cleanup

    def _token_pids(self) -> list[int]:
        needle = f"{TOKEN_VAR}={self.token}".encode()
        me = os.getpid()
        found = []
        for pid in _proc_pids():
            if pid == me:
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.append(pid)
            except OSError:  # gone, or not ours to read
                continue
        return found

    def kill(self) -> None:
        """SIGKILL the process group and every escaped descendant still carrying our token.
        Idempotent; reaps the direct child."""
        if hasattr(os, "killpg"):
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._proc.poll() is None:
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass
        if os.path.isdir("/proc"):
            for _ in range(50):  # a forking escapee may spawn new ones between scans
                pids = self._token_pids()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - uninterruptible sleep
            pass
        self._killed = True

    def output(self, limit: int = 20000) -> str:
        """The last ``limit`` characters (roughly) of the captured stdout/stderr."""
        if not self.stdout_path:
            return ""
        try:
            with open(self.stdout_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 4 * limit))
                data = f.read()
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace")[-limit:]

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def __repr__(self) -> str:
        state = "alive" if self.alive() else f"exited {self.wait(0)}"
        return f"<Sandbox pid={self.pid} {state}>"
