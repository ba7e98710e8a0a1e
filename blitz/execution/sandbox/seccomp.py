"""What one sandbox could share with another through the kernel, taken away (Linux).

Namespaces separate processes, networks (abstract unix sockets included), IPC objects, mounts and
host names, but some kernel state is keyed by user or by inode, and every sandbox sees the same
read-only kit files. Two measures close those channels:

1. :func:`filter_fd`: a seccomp filter, built with libseccomp (the ``pyseccomp`` bindings) and
   handed to bubblewrap (``--seccomp FD``), which loads it just before it runs the worker. It
   refuses, with an errno (the caller reads a plain ``OSError``):

   - kernel keyrings (``add_key``, ``request_key``, ``keyctl``): they are per user, not per namespace;
   - file locks and leases (``flock``; ``fcntl`` ``F_GETLK``/``F_SETLK``/``F_SETLKW``, the
     ``F_OFD_*`` ones, ``F_SETLEASE``), and watches (``inotify``, ``fanotify``, ``F_NOTIFY``): a lock
     on, or an open of, a shared read-only file is seen by every sandbox that opens it;
   - page-cache probes (``preadv2``/``pwritev2`` with ``RWF_NOWAIT``, ``cachestat``);
   - calls a grader has no use for, each a large kernel surface: ``bpf``, ``perf_event_open``,
     ``userfaultfd``, ``io_uring_*``, ``ptrace``, ``process_vm_readv``/``writev``, ``kcmp``,
     ``pidfd_getfd``, ``mount`` and the new mount API, ``umount2``, ``pivot_root``, ``chroot``,
     ``unshare``, ``setns``, ``clone`` with a namespace flag, ``clone3`` (``ENOSYS``: glibc falls
     back to ``clone``, whose flags the filter can see), ``kexec_*``, modules, ``reboot``,
     ``swapon``/``swapoff``, ``acct``, ``quotactl``, clocks, ``syslog``,
     ``open_by_handle_at``/``name_to_handle_at``.

2. :class:`Uid`: as root, each sandbox that runs at the same time gets a host uid of its own (from
   ``UID_BASE``; inside its user namespace it is still 65534), reserved by a lock file the grader
   holds while the sandbox lives, so that two concurrent ``blitz grade`` runs never share one
   either. Per-user kernel state (task counts, keyring quotas, inotify limits, signals) is then not
   shared.

Without libseccomp (:func:`available` says why) a sandbox refuses to start, like without bubblewrap.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading

__all__ = ["available", "filter_fd", "REFUSED", "Uid", "UID_BASE", "UID_SLOTS"]

# A range no Debian/Ubuntu installation hands out (regular users from 1000, subordinate ids from
# 100000 in blocks of 65536 for a few hundred users), far below the kernel's limit of 2**32 - 2.
UID_BASE = 1_900_000_000
UID_SLOTS = 65_536
UID_LOCKS = "/run/blitz-sandbox-uids"

# fcntl commands that lock, lease or watch (asm-generic/fcntl.h; the same on x86_64 and arm64)
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
F_SETLEASE, F_GETLEASE, F_NOTIFY = 1024, 1025, 1026
RWF_NOWAIT = 0x08
CLONE_NEW = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

_EPERM: tuple[str, ...] = ("bpf", "perf_event_open", "userfaultfd", "ptrace", "process_vm_readv", "process_vm_writev")
_EPERM += ("kcmp", "pidfd_getfd", "add_key", "request_key", "keyctl", "inotify_init", "inotify_init1")
_EPERM += ("inotify_add_watch", "fanotify_init", "fanotify_mark", "io_uring_setup", "io_uring_enter")
_EPERM += ("io_uring_register", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen")
_EPERM += ("fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "kexec_load")
_EPERM += ("kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff")
_EPERM += ("acct", "quotactl", "quotactl_fd", "settimeofday", "clock_settime", "clock_adjtime", "syslog")
_EPERM += ("open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "uselib", "vhangup", "nfsservctl")
_EPERM += ("cachestat", "memfd_secret")
REFUSED = _EPERM + (
    "flock",
    "fcntl (locks, leases, F_NOTIFY)",
    "clone (namespaces)",
    "clone3",
    "preadv2/pwritev2 RWF_NOWAIT",
)

_lock = threading.Lock()
_program: bytes | None = None
_why: str | None = None


def _build() -> bytes:
    import tempfile

    import pyseccomp as sc  # libseccomp's ctypes bindings; raises where libseccomp is missing

    f = sc.SyscallFilter(sc.ALLOW)
    for name in _EPERM:
        try:
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        except (OSError, ValueError):  # a call this kernel or libseccomp does not know: nothing to refuse
            continue
    f.add_rule(sc.ERRNO(errno.ENOLCK), "flock")
    for cmd in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        f.add_rule(sc.ERRNO(errno.ENOLCK), "fcntl", sc.Arg(1, sc.EQ, cmd))
    for cmd in (F_SETLEASE, F_GETLEASE, F_NOTIFY):
        f.add_rule(sc.ERRNO(errno.EPERM), "fcntl", sc.Arg(1, sc.EQ, cmd))
    for call in ("preadv2", "pwritev2"):
        f.add_rule(sc.ERRNO(errno.EOPNOTSUPP), call, sc.Arg(5, sc.MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT))
    for bit in range(32):  # any namespace flag (x86_64 and arm64 both take the flags as clone's first argument)
        if CLONE_NEW & (1 << bit):
            f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, 1 << bit, 1 << bit))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # its flags sit in memory the filter cannot read
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        return out.read()


def program() -> bytes:
    """The filter as a BPF program (cached). Raises OSError/ImportError where libseccomp is missing."""
    global _program, _why
    with _lock:
        if _program is None:
            _program = _build()
        return _program


def available() -> str:
    """'' when the filter can be built here, else why not (one line)."""
    try:
        program()
    except (ImportError, OSError, AttributeError, ValueError) as exc:
        return f"libseccomp (python3 package pyseccomp, Debian libseccomp2) is not usable: {exc}"[:300]
    return ""


def filter_fd() -> int:
    """A fresh read-only descriptor holding the BPF program, at offset 0, for ``bwrap --seccomp FD``
    (bwrap reads it to the end). The caller passes it to the sandbox and closes it after the start."""
    data = program()
    r, w = os.pipe()
    if len(data) > 60000:  # pragma: no cover - a pipe holds 64 KiB; the filter is a few KiB
        os.close(r)
        os.close(w)
        raise OSError(errno.E2BIG, "seccomp program too large for a pipe")
    os.write(w, data)
    os.close(w)
    return r


class Uid:
    """A host uid of its own for one sandbox (as root), reserved until :meth:`release`: a lock file
    in a root-only folder, held with ``flock`` by the grader (released by the kernel if it dies)."""

    def __init__(self) -> None:
        self.uid: int | None = None
        self._fd: int | None = None
        os.makedirs(UID_LOCKS, mode=0o700, exist_ok=True)
        info = os.lstat(UID_LOCKS)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise OSError(errno.EPERM, f"{UID_LOCKS} is not a private folder of this user")
        start = int.from_bytes(os.urandom(2), "little") % UID_SLOTS
        for i in range(UID_SLOTS):
            slot = (start + i) % UID_SLOTS
            fd = os.open(
                os.path.join(UID_LOCKS, str(slot)), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = UID_BASE + slot, fd
            return
        raise OSError(errno.EAGAIN, "no free sandbox uid")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
