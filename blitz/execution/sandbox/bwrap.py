"""The worker's confinement, built by bubblewrap (``bwrap``, Debian's ``bubblewrap`` package).

:func:`command` turns a policy into one command line. As root (a course server), three steps:

1. ``bwrap`` (as root, no user namespace: root can make the others without one) makes new pid,
   network, IPC, UTS, mount and (where the kernel has them) cgroup namespaces. Its new root is an
   empty tmpfs holding only: the system (``/usr``, ``/lib*``, ``/bin``, ``/sbin`` and ``/etc``
   read-only, its few secrets covered), a fresh ``/proc`` and minimal ``/dev``, the ``keep``
   paths read-only at their own paths (Python, torch, the kit's package, the data, the
   submission's copy), each ``hide`` path inside them covered by an empty one, a size-capped
   tmpfs at ``/tmp`` (the worker's home, working folder and TMPDIR) and another at ``/dev/shm``.
2. ``setpriv`` drops to uid/gid 65534 (nobody), no supplementary groups, no capabilities (all
   sets, bounding set included) and ``no_new_privs``.
3. a second, unprivileged ``bwrap`` puts the worker in a user namespace of its own and forbids any
   further one (``--disable-userns``): the mounts above are locked, and the kernel's user-namespace
   surface is closed to student code. Hosts that refuse unprivileged user namespaces skip this
   step (:func:`probe` finds out; the isolation line says so).

As an ordinary user, one ``bwrap`` with a user namespace does step 1 (the worker keeps the
grader's uid then, which the isolation line says).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from typing import Any

from blitz.execution.sandbox import seccomp

__all__ = ["NOBODY", "HOME", "probe", "command", "SYSTEM_LINKS"]

NOBODY = 65534
HOME = "/tmp"  # inside the sandbox: the capped tmpfs, its cwd, HOME and TMPDIR
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # symlinks into /usr, or folders
SECRETS = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh")

_lock = threading.Lock()
_probe: dict | None = None


def _runs(argv: list[str]) -> tuple[bool, str]:
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, text=True, errors="replace")
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def _version(bwrap: str) -> str:
    ok, out = _runs([bwrap, "--version"])
    return out.split()[-1] if ok and out else "?"


def probe() -> dict:
    """Cached: can bwrap confine a worker here, and how?  Keys: ``bwrap`` (path or None),
    ``version``, ``root``, ``setpriv``, ``inner`` (the nested user namespace works), ``why``."""
    global _probe
    with _lock:
        if _probe is None:
            _probe = _do_probe()
        return _probe


def _do_probe() -> dict:
    p: dict[str, Any] = {"bwrap": shutil.which("bwrap"), "version": "", "root": os.geteuid() == 0, "setpriv": None}
    p.update(inner=False, inner_why="", why="")
    if not p["bwrap"]:
        p["why"] = "bubblewrap (bwrap) is not installed"
        return p
    p["version"] = _version(p["bwrap"])
    p["seccomp"] = seccomp.available()
    if p["seccomp"]:
        p.update(bwrap=None, why=p["seccomp"])
        return p
    if p["root"]:
        p["setpriv"] = shutil.which("setpriv")
        if not p["setpriv"]:
            p.update(bwrap=None, why="setpriv (util-linux) is not installed: the worker cannot drop root")
            return p
    view = {"keep": [], "hide": [], "disk_bytes": 1 << 20, "shm_bytes": 1 << 20, "network": False}
    check = ["/bin/sh", "-c", f'[ "$(id -u)" = {NOBODY if p["root"] else os.geteuid()} ]']
    ok, out = _runs(command(p | {"inner": False}, view, check, {}))
    if not ok:
        p.update(bwrap=None, why=f"bwrap cannot make the sandbox here: {out[-300:]}")
        return p
    if p["root"]:
        p["inner"], out = _runs(command(p | {"inner": True}, view, check, {}))
        p["inner_why"] = "" if p["inner"] else out.splitlines()[-1][:200] if out else "refused"
    return p


def _dirs_to(path: str, made: set[str], bound: list[str]) -> list[str]:
    """``--dir`` steps (mode 0755) for the parents of `path` not made yet (bwrap would make them
    0700), except those inside a bound folder, which exist already."""
    out = []
    parent = os.path.dirname(path)
    chain = []
    while parent not in ("/", ""):
        chain.append(parent)
        parent = os.path.dirname(parent)
    for d in reversed(chain):
        if d not in made and not any(inside(d, b) for b in bound):
            made.add(d)
            out += ["--perms", "0755", "--dir", d]
    return out


def inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _system() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_LINKS:
        host = f"/{name}"
        if os.path.islink(host):
            args += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            args += ["--ro-bind", host, host]
    args += ["--ro-bind", "/etc", "/etc"]
    for secret in SECRETS:
        if os.path.isdir(secret) and not os.path.islink(secret):
            args += ["--tmpfs", secret, "--remount-ro", secret]
        elif os.path.lexists(secret):
            args += ["--dev-bind", "/dev/null", secret]
    return args


def _view(keep: list[str], hide: list[str], writable: Sequence[str] = ()) -> list[str]:
    """Read-only binds of `keep`, covers of the `hide` paths that lie in them, shortest path first
    (so a kept path inside a covered one comes back); `writable` paths are bound read-write (only
    folders the grader made for it, whose permissions decide what the worker may change)."""
    system = ("/usr", "/etc", *(f"/{n}" for n in SYSTEM_LINKS))
    steps: list[tuple[str, str]] = []
    for k in sorted({os.path.realpath(k) for k in keep if k and os.path.exists(k)}, key=len):
        if k == "/" or any(inside(k, s) for s in system):
            continue
        steps.append((k, "keep"))
    for w in sorted({os.path.realpath(w) for w in writable if w and os.path.isdir(w)}, key=len):
        steps.append((w, "write"))
    for h in sorted({os.path.realpath(h) for h in hide if h and os.path.lexists(h)}, key=len):
        if any(inside(h, k) and h != k for k, kind in steps if kind == "keep"):
            steps.append((h, "hide"))
    steps.sort(key=lambda s: (len(s[0]), s[1] != "hide"))
    if writable:  # a read-write folder goes on top of whatever else would show at its path
        steps = [s for s in steps if s[1] != "write"] + [s for s in steps if s[1] == "write"]
    args: list[str] = []
    made: set[str] = {"/tmp"}
    visible: list[tuple[str, str]] = []  # what a path shows now: the last step at or above it
    for path, kind in steps:
        above = [v for v in visible if inside(path, v[0])]
        shown = max(above, key=lambda v: len(v[0]))[1] if above else "none"
        if kind == "keep" and shown == "keep":
            continue  # already visible through a kept folder above it
        if kind == "hide" and shown != "keep":
            continue  # not visible anyway
        args += _dirs_to(path, made, [v[0] for v in visible])
        made.add(path)
        if kind == "keep":
            args += ["--ro-bind", path, path]
        elif kind == "write":
            args += ["--bind", path, path]
        elif os.path.isdir(path):
            args += ["--perms", "0555", "--tmpfs", path, "--remount-ro", path]
        else:
            args += ["--dev-bind", "/dev/null", path]
        visible.append((path, kind))
    return args


def command(p: dict, view: dict, argv: list[str], env: dict[str, str]) -> list[str]:
    """The full command line for `argv` under `view` (``keep``, ``hide``, ``disk_bytes``,
    ``shm_bytes``, ``network``, optional ``devices``, ``writable`` and ``init``), with `env` as its whole
    environment. ``init``: `argv` is pid 1 of the innermost pid namespace (``--as-pid-1``), so no
    process inside can kill it and it reaps every orphan (the grading worker). ``seccomp_fd``: the
    filter of :mod:`.seccomp`, loaded by the bwrap that runs `argv`; ``uid``: the host uid the
    worker runs as when root (65534 inside its user namespace)."""
    init = ["--as-pid-1"] if view.get("init") else []
    inner = bool(p["root"] and p["inner"])
    cmd = [p["bwrap"], "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    cmd += [] if inner else init
    cmd += ["--unshare-cgroup-try", "--hostname", "sandbox"]
    if not view["network"]:
        cmd.append("--unshare-net")
    if not p["root"]:
        cmd += ["--unshare-user", "--disable-userns"]
    filt = [] if view.get("seccomp_fd") is None else ["--seccomp", str(view["seccomp_fd"])]
    cmd += [] if inner else filt
    cmd += _system()
    # /dev/mqueue: the IPC namespace's POSIX message queues as files, so the worker can remove them
    cmd += ["--proc", "/proc", "--dev", "/dev", "--mqueue", "/dev/mqueue"]
    cmd += ["--size", str(int(view["shm_bytes"])), "--perms", "1777", "--tmpfs", "/dev/shm"]
    if view.get("devices"):  # a GPU: its device nodes, and what its driver reads in /sys
        cmd += ["--ro-bind", "/sys", "/sys"]
    for device in view.get("devices", ()):
        cmd += ["--dev-bind", device, device]
    cmd += ["--size", str(int(view["disk_bytes"])), "--perms", "1777", "--tmpfs", HOME]
    cmd += _view(list(view["keep"]), list(view["hide"]), list(view.get("writable", ())))
    cmd += ["--chdir", HOME, "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd.append("--")
    if p["root"]:
        ids, host = str(NOBODY), str(view.get("uid", NOBODY))
        cmd += [p["setpriv"], f"--reuid={host}", f"--regid={host}", "--clear-groups", "--no-new-privs"]
        cmd += ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]
        if p["inner"]:
            # its own pid namespace too: the bwrap that waits for it is then out of its reach. (/proc
            # stays the one above, which shows only the sandbox: the kernel refuses a new one there,
            # since bwrap covers parts of it.)
            cmd += [
                p["bwrap"],
                "--unshare-user",
                "--disable-userns",
                "--unshare-pid",
                *init,
                "--uid",
                ids,
                "--gid",
                ids,
            ]
            cmd += ["--dev-bind", "/", "/", "--die-with-parent", *filt, "--chdir", HOME, "--"]
    return cmd + list(argv)
