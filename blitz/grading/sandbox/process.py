"""Launch and manage an untrusted Python worker process (stdlib only, Linux-first).

What a :class:`Sandbox` applies, each layer only where this machine allows it (probed once,
see :func:`isolation_available`; what was really applied is in ``Sandbox.isolation``):

* a new session / process group, stdin from ``/dev/null``, stdout+stderr to a file;
* a scrubbed environment (no parent secrets) carrying a unique ``BLITZ_SANDBOX_TOKEN``;
* rlimits: ``RLIMIT_DATA`` = ``memory_bytes`` (not ``RLIMIT_AS``: a CUDA build of torch maps
  ~3.3 GB of address space just to ``import torch``, and CUDA reserves far more), ``RLIMIT_CORE`` = 0,
  ``RLIMIT_FSIZE`` = ``file_bytes``;
* ``PR_SET_PDEATHSIG``: when the process that started the sandbox dies (even by SIGKILL), the
  kernel kills the sandbox;
* via ``unshare(1)`` (as root, or as an ordinary user through a user namespace):
  a new network namespace (no network, not even the host's loopback), a pid namespace (killing
  the sandbox kills everything in it; a private ``/proc`` hides the host's processes), and a
  private mount namespace in which every ``hide_paths`` entry is covered by an empty read-only
  tmpfs (a file by ``/dev/null``); ``keep_paths`` inside a hidden path (and always the cwd) are
  brought back through a descriptor opened before the cover; with ``read_only`` every mounted
  filesystem becomes read-only except the cwd, and ``/dev/shm`` is a private tmpfs. The worker
  itself then runs in a further, nested user namespace, so those mounts are locked (it cannot
  unmount or remount them) and, when we are root, it holds no capabilities over the host (it
  cannot ``setns`` back into the host network, remount, ...).

:meth:`Sandbox.kill` SIGKILLs the process group, and then every process whose environment
still holds this sandbox's token (this catches ``setsid``/double-fork escapes even when no pid
namespace is available).
"""

from __future__ import annotations

import os
import re
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

__all__ = [
    "SandboxPolicy",
    "Sandbox",
    "isolation_available",
    "describe_isolation",
    "die_with_parent",
    "inside",
    "outermost",
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
SETUP_FAILED = 125  # exit status of the wrapper when a namespace/mount step failed
_HIDE_OPTS = "ro,nosuid,nodev,noexec,size=16k,mode=0555"


@dataclass
class SandboxPolicy:
    memory_bytes: int = 3 << 30  # RLIMIT_DATA for the child (see module doc for why not RLIMIT_AS)
    cpu_threads: int = 1  # OMP_NUM_THREADS / MKL_NUM_THREADS etc. for the child
    network: bool = False  # False: run in a new network namespace when possible
    hide_paths: tuple[str, ...] = ()  # covered by an empty tmpfs in a private mount namespace when possible
    extra_env: dict[str, str] = field(default_factory=dict)
    # Paths inside a hidden path that stay visible (read-only); the cwd is always kept (read-write).
    # This is how a worker whose directory lies in a shared scratch folder (or /tmp) sees its own
    # directory and nothing of its neighbours'.
    keep_paths: tuple[str, ...] = ()
    # Every mounted filesystem read-only except the cwd: student code running as (namespaced) root
    # could otherwise delete the kit, the data or anything else its uid may write.
    read_only: bool = True
    file_bytes: int = 1 << 30  # RLIMIT_FSIZE: no single file larger than this (a full disk hurts everyone)
    shm_bytes: int = 256 << 20  # size of the private /dev/shm (DataLoader workers use it)


# --------------------------------------------------------------------------- probing

_probe_lock = threading.Lock()
_probe: dict | None = None


def _run_quiet(cmd: list[str], timeout: float = 10.0, **kw) -> bool:
    try:
        return (
            subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                **kw,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def _data_limit_probe() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (64 << 20, 64 << 20))


def _do_probe() -> dict:
    p: dict = {
        "netns": False,
        "mountns": False,
        "rlimit": False,
        "pidns": False,
        "userns": False,
        "procfs": False,
        "nested_userns": False,
        "root": False,
        "unshare": None,
        "keep": False,
        "readonly": False,
    }
    # rlimit: does RLIMIT_DATA really cap anonymous mmap (Linux >= 4.7)?
    if resource is not None and hasattr(resource, "RLIMIT_DATA") and sys.executable:
        try:
            r = subprocess.run(
                [sys.executable, "-I", "-S", "-c", "bytearray(256 << 20)"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=_data_limit_probe,
                timeout=30,
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
            script = (
                f'mount -t tmpfs -o {_HIDE_OPTS} blitz-hidden "$1" && [ ! -e "$1/probe" ] || exit 1\nshift; exec "$@"'
            )
            ok = _run_quiet(
                [unshare, *u, "--mount", "--propagation", "private", "--", sh, "-c", script, "sh", d, "true"]
            )
            # the host must be unaffected
            p["mountns"] = ok and os.path.exists(os.path.join(d, "probe")) and not os.path.ismount(d)
            if p["mountns"] and p["userns"]:
                p["nested_userns"] = _run_quiet(
                    [
                        unshare,
                        *u,
                        "--mount",
                        "--propagation",
                        "private",
                        "--",
                        sh,
                        "-c",
                        script,
                        "sh",
                        d,
                        unshare,
                        "--user",
                        "--map-root-user",
                        "--mount",
                        "true",
                    ]
                )
            if p["mountns"]:
                p["keep"], p["readonly"] = _probe_keep_readonly(unshare, u, sh, d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    pid = [unshare, *u, "--pid", "--fork", "--kill-child"]
    if p["mountns"] and _run_quiet([*pid, "--mount", "--propagation", "private", "--mount-proc", "true"]):
        p["pidns"] = p["procfs"] = True
    else:
        p["pidns"] = _run_quiet([*pid, "true"])
    return p


def _probe_keep_readonly(unshare: str, u: list[str], sh: str, d: str) -> tuple[bool, bool]:
    """Can a path inside a hidden folder be brought back (keep), and can mounts be made read-only?"""
    keep = os.path.join(d, "a", "keep")
    os.makedirs(keep, exist_ok=True)
    open(os.path.join(keep, "mine"), "w").close()
    open(os.path.join(d, "a", "other"), "w").close()
    script = "\n".join(
        [
            f"exec 3<{shlex.quote(keep)}",
            *_cover_lines(d, rw=True),
            f"mkdir -p {shlex.quote(keep)} || exit 1",
            *_restore_lines(keep, 3),
            f"[ -e {shlex.quote(os.path.join(keep, 'mine'))} ] && [ ! -e {shlex.quote(os.path.join(d, 'a', 'other'))} ] || exit 1",
        ]
    )
    keep_ok = _run_quiet([unshare, *u, "--mount", "--propagation", "private", "--", sh, "-c", script])
    keep_ok = keep_ok and os.path.exists(os.path.join(d, "a", "other"))
    mount = _mount_of(d)
    ro_ok = False
    if mount is not None:
        script = "\n".join(
            [
                *_remount_ro_lines(mount, fatal=True),
                f"touch {shlex.quote(os.path.join(d, 'written'))} 2>/dev/null && exit 1; exit 0",
            ]
        )
        ro_ok = _run_quiet([unshare, *u, "--mount", "--propagation", "private", "--", sh, "-c", script])
        ro_ok = ro_ok and os.access(d, os.W_OK) and not os.path.exists(os.path.join(d, "written"))
    return keep_ok, ro_ok


# --------------------------------------------------------------------------- mount helpers

_ATIME_FLAGS = {"nosuid", "nodev", "noexec", "relatime", "noatime", "nodiratime", "strictatime"}


def _unescape(field_: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field_)


def _mounts() -> list[tuple[str, set[str]]]:
    """(mount point, per-mount flags) of this process's mount namespace, from /proc/self/mountinfo."""
    found = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    found.append((_unescape(parts[4]), set(parts[5].split(","))))
    except OSError:
        pass
    return found


def _mount_of(path: str) -> tuple[str, set[str]] | None:
    best = None
    for point, flags in _mounts():
        if inside(path, point) and (best is None or len(point) >= len(best[0])):
            best = (point, flags)
    return best


def _cover_lines(path: str, rw: bool = False) -> list[str]:
    q = shlex.quote(path)
    if os.path.isdir(path):
        opts = _HIDE_OPTS if not rw else _HIDE_OPTS.replace("ro,", "rw,").replace("mode=0555", "mode=0755")
        return [f"mount -t tmpfs -o {opts} blitz-hidden {q} || exit {SETUP_FAILED}"]
    return [f"mount --bind /dev/null {q} || exit {SETUP_FAILED}"]


def _restore_lines(keep: str, fd: int) -> list[str]:
    # The descriptor, opened before the cover, still reaches the real directory; --no-canonicalize
    # keeps mount(8) from turning /proc/self/fd/N back into the (now covered) path.
    q = shlex.quote(keep)
    return [
        f"mkdir -p {q} || exit {SETUP_FAILED}",
        f"mount --no-canonicalize --bind /proc/self/fd/{fd} {q} || exit {SETUP_FAILED}",
        f"exec {fd}<&-",
    ]


def _remount_ro_lines(mount: tuple[str, set[str]], fatal: bool) -> list[str]:
    point, flags = mount
    # An unprivileged mount namespace may only add restrictions: keep the locked flags as they are.
    opts = ",".join(["remount", "bind", "ro", *sorted(flags & _ATIME_FLAGS)])
    tail = f"|| exit {SETUP_FAILED}" if fatal else "2>/dev/null || true"
    return [f"mount -o {opts} {shlex.quote(point)} {tail}"]


def _probe_all() -> dict:
    global _probe
    with _probe_lock:
        if _probe is None:
            _probe = _do_probe()
        return _probe


def isolation_available() -> dict[str, bool]:
    """Cached probe: ``{"netns", "mountns", "rlimit", "pidns", "userns", "procfs", "keep", "readonly"}`` -> bool."""
    p = _probe_all()
    return {k: bool(p[k]) for k in ("netns", "mountns", "rlimit", "pidns", "userns", "procfs", "keep", "readonly")}


def _gib(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"


def describe_isolation(policy: SandboxPolicy | None = None) -> str:
    """One line: what a sandbox with ``policy`` (default policy if None) gets on this machine."""
    policy = policy or SandboxPolicy()
    p = _probe_all()
    via = "" if p["root"] else " via userns"
    parts = ["process group"]
    parts.append(
        f"rlimit data {_gib(policy.memory_bytes)}" if p["rlimit"] else "NO memory limit (RLIMIT_DATA not enforced)"
    )
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
        if policy.read_only:
            parts.append("read-only filesystem but its own folder" if p["readonly"] else "filesystem NOT read-only")
    else:
        parts.append("paths NOT hidden (no mount namespace)")
    if p["root"] and not p["userns"]:
        parts.append("child keeps root capabilities")
    return ", ".join(parts)


# --------------------------------------------------------------------------- sandbox

_PR_SET_PDEATHSIG = 1


def _prctl():
    """libc's prctl, looked up before fork (nothing may be loaded between fork and exec)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None


def die_with_parent(prctl=None, parent: int | None = None) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (even by SIGKILL); Linux only.

    Between fork and exec nothing may be loaded: there, pass ``prctl`` (from ``_prctl()``, looked
    up before the fork) and ``parent`` (the pid before the fork; if it already died, exit at once).
    The signal follows the death of the parent *thread*, so a sandbox is started from the main thread."""
    if prctl is None:
        prctl = _prctl()
        if prctl is None:
            return
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent is not None and os.getppid() != parent:  # the parent died before the line above: go too
        os._exit(1)


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

    def __init__(self, argv: list[str], cwd: str, policy: SandboxPolicy, pass_fds=(), stdout_path: str | None = None):
        if not argv:
            raise ValueError("empty argv")
        self.policy = policy
        self.token = uuid.uuid4().hex
        self.stdout_path = stdout_path
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
        env = {
            "PATH": os.environ.get("PATH") or os.defpath,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": cwd,
            "TMPDIR": tmpdir,
            "PYTHONUNBUFFERED": "1",
        }
        env.update({v: str(policy.cpu_threads) for v in THREAD_VARS})
        env.update({str(k): str(v) for k, v in policy.extra_env.items()})
        env[TOKEN_VAR] = self.token

        self._shell = shutil.which("bash") or shutil.which("sh") or "/bin/sh"
        # -- hidden paths, and the paths inside them that stay visible (the cwd among them)
        keeps = sorted({os.path.realpath(k) for k in (*policy.keep_paths, cwd) if os.path.exists(k)}, key=len)
        wanted = sorted({os.path.realpath(h) for h in policy.hide_paths}, key=len)
        if cwd in wanted:
            raise ValueError(f"cwd {cwd} is itself a hidden path")
        wanted = [h for h in wanted if os.path.lexists(h) and h not in keeps]
        # Outer covers come first, then the kept paths are brought back, then the covers that lie
        # inside a kept path (e.g. one file of a kept data folder); a cover inside another is redundant.
        outer = [h for h in wanted if not any(inside(h, k) for k in keeps)]
        inner = outermost([h for h in wanted if h not in outer])
        outer = outermost(outer)
        hide = outer + inner
        restore = outermost([k for k in keeps if any(inside(k, h) and k != h for h in outer)])

        # -- namespaces
        iso = {
            "process_group": True,
            "rlimit": None,
            "netns": False,
            "pidns": False,
            "procfs": False,
            "mountns": False,
            "hidden": [],
            "locked": False,
            "userns": False,
            "not_hidden": [],
        }
        want_net = not policy.network and p["netns"]
        can_keep = p["keep"] or not restore
        want_mount = p["mountns"] and can_keep and (bool(hide) or (policy.read_only and p["readonly"]))
        want_ro = want_mount and policy.read_only and p["readonly"]
        want_pid = p["pidns"]
        if hide and not want_mount:
            iso["not_hidden"] = hide
            warnings.warn(
                f"blitz.grading.sandbox.process: cannot hide {hide} (no mount namespace)", RuntimeWarning, stacklevel=2
            )
        if not policy.network and not want_net:
            warnings.warn(
                "blitz.grading.sandbox.process: network not isolated (no network namespace)",
                RuntimeWarning,
                stacklevel=2,
            )
        cmd = list(argv)
        if want_net or want_mount or want_pid:
            unshare = p["unshare"]
            # innermost: a nested user namespace locks our tmpfs covers (and, as root, drops host capabilities)
            if p["userns"] and (p["root"] or (want_mount and p["nested_userns"])):
                inner_ns = [unshare, "--user", "--map-root-user"]
                if want_mount and p["nested_userns"]:
                    inner_ns.append("--mount")
                    iso["locked"] = True
                cmd = [*inner_ns, "--", *cmd]
                iso["userns"] = True
            outer_ns = [unshare]
            if not p["root"]:
                outer_ns += ["--user", "--map-root-user"]
                iso["userns"] = True
            if want_net:
                outer_ns.append("--net")
            if want_mount or (want_pid and p["procfs"]):
                outer_ns += ["--mount", "--propagation", "private"]
            if want_pid:
                outer_ns += ["--pid", "--fork", "--kill-child"]
                if p["procfs"]:
                    outer_ns.append("--mount-proc")
            # middle: sh does the mounts, and serves as pid 1 of the pid namespace (a Python pid 1 would
            # ignore signals it has no handler for, e.g. its own SIGKILL/SIGABRT)
            lines = self._mount_script(cwd, outer, inner, restore, pass_fds, want_ro) if want_mount else []
            lines.append('"$@"; exit $?' if want_pid else 'exec "$@"')
            cmd = [*outer_ns, "--", self._shell, "-c", "\n".join(lines), "sh", *cmd]
            iso.update(
                netns=want_net,
                pidns=want_pid,
                procfs=want_pid and p["procfs"],
                mountns=want_mount,
                hidden=hide if want_mount else [],
            )
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
            if hasattr(resource, "RLIMIT_FSIZE") and policy.file_bytes:
                limits.append((resource.RLIMIT_FSIZE, (int(policy.file_bytes), int(policy.file_bytes))))

        # If the process that starts the sandbox dies (a grader killed with SIGKILL), the kernel kills
        # the sandbox too. Only from the main thread: the signal follows the death of the *thread*.
        prctl = _prctl() if threading.current_thread() is threading.main_thread() else None
        parent = os.getpid()

        def _preexec(limits=tuple(limits)):  # keep minimal: runs between fork and exec
            for which, value in limits:
                resource.setrlimit(which, value)
            if prctl is not None:
                die_with_parent(prctl, parent)

        self.isolation = iso
        self.cmd = cmd
        out = open(stdout_path, "wb") if stdout_path else None
        try:
            self._proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out if out else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                close_fds=True,
                pass_fds=tuple(pass_fds),
                start_new_session=True,
                preexec_fn=_preexec if (limits or prctl is not None) else None,
            )
        finally:
            if out:
                out.close()
        self.pid = self._proc.pid

    def _mount_script(
        self, cwd: str, outer: list[str], inner: list[str], restore: list[str], pass_fds, read_only: bool
    ) -> list[str]:
        """The shell lines that build the worker's view of the filesystem (see SandboxPolicy)."""
        # bash can open any descriptor number; a POSIX sh addresses 0-9 only
        numbers = range(20, 256) if self._shell.endswith("bash") else range(3, 10)
        free = [n for n in numbers if n not in set(pass_fds)]
        if len(restore) > len(free):
            raise ValueError(f"too many kept paths inside hidden ones: {restore}")
        fds = dict(zip(restore, free))
        lines = [f"exec {n}<{shlex.quote(k)} || exit {SETUP_FAILED}" for k, n in fds.items()]
        with_keeps = {h for h in outer if any(inside(k, h) for k in restore)}
        for h in outer:
            lines += _cover_lines(h, rw=h in with_keeps)
        for k, n in fds.items():
            lines += _restore_lines(k, n)
        for h in with_keeps:  # the cover needed to be writable only to create the kept paths' mount points
            lines.append(f"mount -o remount,{_HIDE_OPTS} {shlex.quote(h)} || exit {SETUP_FAILED}")
        for h in inner:
            lines += _cover_lines(h)
        if read_only:
            hidden = outer + inner
            if cwd not in restore:  # its own mount, so that making its filesystem read-only spares it
                lines.append(f"mount --bind {shlex.quote(cwd)} {shlex.quote(cwd)} || exit {SETUP_FAILED}")
            for point, flags in _mounts():
                if any(inside(point, x) for x in ("/proc", "/dev")) or any(inside(point, h) for h in hidden):
                    continue
                if point == cwd:
                    continue
                lines += _remount_ro_lines((point, flags), fatal=not inside(point, "/sys"))
            for k in restore:
                if k != cwd:
                    source = _mount_of(k)
                    lines += _remount_ro_lines((k, source[1] if source else set()), fatal=True)
            if os.path.isdir("/dev/shm"):
                size = max(1 << 20, int(self.policy.shm_bytes))
                lines.append(f"mount -t tmpfs -o rw,nosuid,nodev,size={size} blitz-shm /dev/shm 2>/dev/null || true")
        return lines

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

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def __repr__(self) -> str:
        state = "alive" if self.alive() else f"exited {self.wait(0)}"
        return f"<Sandbox pid={self.pid} {state}>"
