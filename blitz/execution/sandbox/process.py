"""Launch and manage an untrusted worker process (Linux; stdlib only).

A :class:`Sandbox` runs ``argv`` confined by bubblewrap (:mod:`.bwrap`: new pid, network, IPC,
UTS and mount namespaces, uid 65534 without capabilities in a user namespace of its own; it sees
the system, the ``keep_paths`` read-only and a size-capped tmpfs as its home) and limited by a
cgroup of its own (:mod:`.cgroups`: memory counting shared memory and tmpfs, tasks, a fair share
and a quota of the CPU). Where no cgroup can be made, per-process rlimits stand in (weaker: the
isolation line says so). Its stdout and stderr go to a pipe made here, drained with a size cap
(:mod:`.drain`); the grader never opens a path the worker can write.

Without bubblewrap a Sandbox refuses to start (:class:`SandboxUnavailable`) unless the policy says
``unsafe=True`` (``blitz grade --unsafe-no-sandbox``): then the worker runs as the grader's own
user, with the rlimits and the cgroup only.

:meth:`Sandbox.kill` kills the whole sandbox (its pid namespace and its cgroup) and removes the
cgroup; nothing of it is left on the host: its files were in its tmpfs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import uuid
from dataclasses import dataclass, field

from blitz.execution.lifetime import die_with_parent, libc_prctl
from blitz.execution.output import Drain
from blitz.execution.sandbox import bwrap, seccomp
from blitz.execution.sandbox.cgroups import Cgroup, CgroupError, detect

try:  # not on Windows
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

__all__ = [
    "SandboxPolicy",
    "Sandbox",
    "SandboxUnavailable",
    "isolation_available",
    "describe_isolation",
    "die_with_parent",
    "inside",
    "outermost",
    "INSTALL",
]

TOKEN_VAR = "BLITZ_SANDBOX_TOKEN"
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)
INSTALL = (
    "安装 bubblewrap（Debian/Ubuntu：sudo apt-get install bubblewrap）",
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap)",
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot confine a worker here, and the policy does not allow running unconfined."""


@dataclass
class SandboxPolicy:
    memory_bytes: int = 3 << 30  # the sandbox's memory cgroup (everything counted); RLIMIT_DATA per process too
    cpu_threads: int = 1  # OMP_NUM_THREADS etc. for the child, and its CPU quota in cores
    network: bool = False  # False: a network namespace of its own (loopback only)
    # Host paths the worker sees, read-only, at their own paths (Python, torch, the kit's package,
    # the data, the submission's copy); everything else of the host is absent but the system.
    keep_paths: tuple[str, ...] = ()
    hide_paths: tuple[str, ...] = ()  # paths inside kept ones that are covered (e.g. the test labels)
    extra_env: dict[str, str] = field(default_factory=dict)
    disk_bytes: int = 512 << 20  # the size of its tmpfs home (/tmp): all it can write
    shm_bytes: int = 256 << 20  # the size of its /dev/shm (DataLoader workers use it)
    pids: int = 256  # processes and threads at once
    devices: tuple[str, ...] = ()  # device nodes it may use (the GPU's)
    # Host folders bound read-write (a notebook kernel's socket folder, made and locked by the grader)
    writable_paths: tuple[str, ...] = ()
    unsafe: bool = False  # run even without bubblewrap (the instructor's explicit choice)
    init: bool = False  # the command is pid 1 of its pid namespace (bwrap --as-pid-1): the grading worker


# --------------------------------------------------------------------------- what this machine offers


def isolation_available() -> dict[str, bool | str | None]:
    """What a sandbox gets here. The layer flags (``netns``, ``pidns``, ``mountns``, ``procfs``,
    ``keep``, ``readonly``, ``userns``, ``unprivileged``) are all bubblewrap's; ``cgroup`` is
    ``"v1"``, ``"v2"`` or None; ``rlimit`` is always there; ``why`` says what is missing."""
    p = bwrap.probe()
    confined = bool(p["bwrap"])
    out: dict[str, bool | str | None] = {
        k: confined for k in ("netns", "pidns", "mountns", "procfs", "keep", "readonly", "bwrap")
    }
    out["userns"] = confined and (p["inner"] or not p["root"])
    out["unprivileged"] = confined and p["root"]
    out["rlimit"] = resource is not None
    out["cgroup"] = detect()["version"]
    out["why"] = p["why"]
    return out


def _size(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"


def _limits_text(policy: SandboxPolicy) -> str:
    cg = detect()
    if cg["version"]:
        cpu = ", cpu weight equal + a quota of as many cores as torch threads" if "cpu" in cg["controllers"] else ""
        pids = f", {policy.pids} tasks" if "pids" in cg["controllers"] else ", NO task limit (no pids controller)"
        return f"cgroup {cg['version']}: memory {_size(policy.memory_bytes)} incl. shared memory and tmpfs{pids}{cpu}"
    return (
        f"NO cgroup ({cg['why']}): fallback RLIMIT_DATA {_size(policy.memory_bytes)} per process, "
        + (f"RLIMIT_NPROC {policy.pids}" if _own_task_count() else "NO task limit")
        + ", tmpfs caps; shared memory and CPU not capped"
    )


def describe_isolation(policy: SandboxPolicy | None = None) -> str:
    """One line: what a sandbox with `policy` (the default if None) gets on this machine."""
    policy = policy or SandboxPolicy()
    p = bwrap.probe()
    if not p["bwrap"]:
        head = f"NO SANDBOX ({p['why']}): the worker runs as the grader's user, sees the whole host"
        return f"{head}; {_limits_text(policy)}" if policy.unsafe else f"{head}: refused without --unsafe-no-sandbox"
    inside = " (uid 65534 inside)" if p["inner"] else ""
    who = f"a host uid of its own{inside}, no capabilities" if p["root"] else f"the grader's uid {os.geteuid()}"
    who += ", no_new_privs; seccomp: no keyrings, file locks, watches, bpf, perf, ptrace, namespaces"
    if p["root"]:
        user = ", own user namespace (no further ones)" if p["inner"] else f", NO user namespace ({p['inner_why']})"
    else:
        user = ", user namespace (no further ones)"
    net = "" if policy.network else " network,"
    return (
        f"bubblewrap {p['version']}: new pid,{net} IPC, UTS, mount namespaces{user}; {who}; sees only the system, "
        f"Python, the kit's package, the data and its own submission (read-only) and a {_size(policy.disk_bytes)} "
        f"tmpfs home; {_limits_text(policy)}"
    )


# --------------------------------------------------------------------------- helpers


def inside(path: str, parent: str) -> bool:
    """Is `path` `parent` itself or below it (both absolute, normalised)?"""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def outermost(paths) -> list[str]:
    """The real paths of `paths`, shortest first, without any that lies inside an earlier one."""
    out: list[str] = []
    for p in sorted({os.path.realpath(p) for p in paths}, key=len):
        if not any(inside(p, o) for o in out):
            out.append(p)
    return out


def _own_task_count() -> bool:
    """Does RLIMIT_NPROC count this sandbox's tasks alone? Only in the user namespace of its own
    that uid 65534 gets (the kernel counts tasks per user namespace); elsewhere it would count every
    process of the uid, the grader's own or the other sandboxes' included."""
    p = bwrap.probe()
    return bool(p["bwrap"]) and p["root"] and p["inner"]


def _rlimits(policy: SandboxPolicy, confined: bool, with_cgroup: bool) -> list[tuple[int, tuple[int, int]]]:
    if resource is None:
        return []
    limits = [(resource.RLIMIT_CORE, (0, 0))]
    mem = int(policy.memory_bytes)
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        mem = min(mem, hard)
    limits.append((resource.RLIMIT_DATA, (mem, mem)))  # a MemoryError the student can read, first
    if not confined:  # confined, its tmpfs is all it can write, and a full one says ENOSPC
        limits.append((resource.RLIMIT_FSIZE, (int(policy.disk_bytes), int(policy.disk_bytes))))
    if not with_cgroup and _own_task_count():
        limits.append((resource.RLIMIT_NPROC, (int(policy.pids), int(policy.pids))))
    return limits


# --------------------------------------------------------------------------- sandbox


class Sandbox:
    """A running untrusted worker; see the module docstring. ``cwd`` is the host folder it works in
    only when it runs unconfined (``unsafe``); confined, it works in its tmpfs home."""

    def __init__(self, argv: list[str], cwd: str, policy: SandboxPolicy, pass_fds=()):
        if not argv:
            raise ValueError("empty argv")
        self.policy = policy
        self.token = uuid.uuid4().hex
        p = bwrap.probe()
        self.confined = bool(p["bwrap"])
        if not self.confined and not policy.unsafe:
            raise SandboxUnavailable(f"{p['why']}; {INSTALL[1]}, or pass --unsafe-no-sandbox")
        home = bwrap.HOME if self.confined else os.path.realpath(cwd)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": home,
            "TMPDIR": home,
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update({v: str(policy.cpu_threads) for v in THREAD_VARS})
        env.update({str(k): str(v) for k, v in policy.extra_env.items()})
        env[TOKEN_VAR] = self.token
        self._uid: seccomp.Uid | None = None
        filter_fd = None
        if self.confined:
            try:
                self._uid = seccomp.Uid() if p["root"] else None  # a host uid of its own while it runs
            except OSError:  # no folder for the reservations: the shared 65534 (the filter still applies)
                self._uid = None
            filter_fd = seccomp.filter_fd()
            pass_fds = (*pass_fds, filter_fd)
            view = {
                "keep": policy.keep_paths,
                "hide": policy.hide_paths,
                "disk_bytes": policy.disk_bytes,
                "shm_bytes": policy.shm_bytes,
                "network": policy.network,
                "devices": policy.devices,
                "init": policy.init,
                "writable": policy.writable_paths,
                "seccomp_fd": filter_fd,
                "uid": self._uid.uid if self._uid else bwrap.NOBODY,
            }
            self.cmd = bwrap.command(p, view, list(argv), env)
        else:
            self.cmd = list(argv)
        self.cgroup: Cgroup | None = None
        try:
            self.cgroup = Cgroup(self.token, policy.memory_bytes, policy.pids, max(1, policy.cpu_threads))
        except CgroupError:
            self.cgroup = None
        self.isolation = {"bwrap": self.confined, "cgroup": self.cgroup.version if self.cgroup else None}
        try:
            self._start(home, env, pass_fds)
        except BaseException:
            if self._uid is not None:
                self._uid.release()
            raise
        finally:
            if filter_fd is not None:
                os.close(filter_fd)

    def _start(self, home: str, env: dict[str, str], pass_fds) -> None:
        limits = tuple(_rlimits(self.policy, self.confined, self.cgroup is not None))
        # If the thread that starts the sandbox dies (a grader killed with SIGKILL), the kernel kills
        # the sandbox too (bwrap's --die-with-parent does the same for what it starts).
        prctl = libc_prctl()
        parent = os.getpid()
        cgroup = self.cgroup

        def _preexec():  # keep minimal: runs between fork and exec
            if cgroup is not None:
                cgroup.join_in_child()
            for which, value in limits:
                resource.setrlimit(which, value)
            if prctl is not None:
                die_with_parent(prctl, parent)

        out_r, out_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                self.cmd,
                cwd=home if not self.confined else "/",
                env=env if not self.confined else {"PATH": "/usr/bin:/bin"},
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                close_fds=True,
                pass_fds=tuple(pass_fds),
                start_new_session=True,
                preexec_fn=_preexec,
            )
        except BaseException:
            os.close(out_r)
            if self.cgroup is not None:
                self.cgroup.destroy()
            raise
        finally:
            os.close(out_w)
            if self.cgroup is not None:
                self.cgroup.close_fds()
        self.pid = self._proc.pid
        self._drain = Drain(out_r)
        self._killed = threading.Lock()

    # ---------------------------------------------------------------- state

    def alive(self) -> bool:
        return self._proc.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        """Exit status of the worker, None on timeout. Death by signal N gives -N (bwrap reports a
        worker killed by signal N as 128+N)."""
        try:
            rc = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if self.confined and 128 < rc < 160:
            return -(rc - 128)
        return rc

    @property
    def returncode(self) -> int | None:
        return None if self._proc.returncode is None else self.wait(0)

    def oom_killed(self) -> bool:
        """Did the kernel kill a process of this sandbox at its memory limit?"""
        return self.cgroup is not None and self.cgroup.oom_killed()

    def oom_kills(self) -> int:
        """How many processes of this sandbox the kernel has killed at its memory limit so far."""
        return self.cgroup.oom_kills() if self.cgroup is not None else 0

    def output(self) -> str:
        """What the worker printed: the first and last 8 KiB, with how much was left out."""
        return self._drain.text()

    # ---------------------------------------------------------------- cleanup

    def kill(self) -> bool:
        """Kill everything of the sandbox, reap it, remove its cgroup. Idempotent. True when nothing
        is left behind."""
        with self._killed:
            if self._proc.poll() is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)  # bwrap and, through its pid namespace, all inside
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    self._proc.kill()
                except ProcessLookupError:
                    pass
            clean = True
            if self.cgroup is not None:
                clean = self.cgroup.kill_all()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover - uninterruptible sleep
                clean = False
            if self.cgroup is not None:
                clean = self.cgroup.destroy() and clean
            if self._uid is not None and clean:  # its uid is free once none of its processes is left
                self._uid.release()
            self._drain.close()
            return clean

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def __repr__(self) -> str:
        state = "alive" if self.alive() else f"exited {self.wait(0)}"
        return f"<Sandbox pid={self.pid} {state}>"
