"""The grader's scratch folders in TMPDIR, named by their owner, and swept when the owner has gone.

A grading process makes a scratch folder per submission (the submission's copy, the sandbox's files) and
removes it when done. Killed with SIGKILL (the grader stopped hard; its pool processes and sandboxes die
with it), it leaves the folder behind, a student's code included. :func:`make` names each folder by its
owner: ``<prefix><pid namespace>-<pid>-<random>``; and before it makes one, removes the folders of the same
prefix whose owner is gone: same pid namespace (a pid says nothing across namespaces), a pid no process
has (or a zombie's), a real folder (not a link) of this user. A live owner's folder, or one whose pid was
reused, is never touched: at worst a folder stays until its pid is free again.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from blitz.execution.files import remove_tree
from blitz.execution.lifetime import pid_alive

# What follows the prefix: the pid namespace's inode, the owner's pid, mkdtemp's random part.
OWNED = re.compile(r"(?P<ns>\d+)-(?P<pid>\d+)-[A-Za-z0-9_]+")
PID_MAX = 1 << 22  # Linux's largest pid_max: a larger number names no process


def _namespace() -> int | None:
    """This process's pid namespace (the inode of /proc/self/ns/pid); None where it cannot be read."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None


def make(prefix: str, folder: str | None = None) -> Path:
    """A new scratch folder of this process's in `folder` (TMPDIR), mode 0700, after :func:`sweep` of `prefix`."""
    ns = _namespace()
    if ns is None:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    sweep(prefix, folder)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{ns}-{os.getpid()}-", dir=folder))


def sweep(prefix: str, folder: str | None = None) -> list[str]:
    """Remove the scratch folders of `prefix` in `folder` (TMPDIR) whose owner is gone; their names."""
    ns = _namespace()
    if ns is None:
        return []
    removed = []
    try:
        entries = list(os.scandir(folder or tempfile.gettempdir()))
    except OSError:
        return []
    for entry in entries:
        if _abandoned(entry, prefix, ns):
            remove_tree(Path(entry.path))
            removed.append(entry.name)
    return removed


def _abandoned(entry: os.DirEntry, prefix: str, ns: int) -> bool:
    if not entry.name.startswith(prefix):
        return False
    owner = OWNED.fullmatch(entry.name[len(prefix) :])
    if owner is None or int(owner["ns"]) != ns or not 0 < int(owner["pid"]) <= PID_MAX:
        return False
    if int(owner["pid"]) == os.getpid():
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    return not owner_alive(int(owner["pid"]))


def owner_alive(pid: int) -> bool:
    """Is process `pid` running? A zombie is not: it is dead, and its pid stays taken only until its parent (or,
    once that has gone, pid 1) reaps it, which some pid 1s are slow to do."""
    if not pid_alive(pid):
        return False
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc to ask: alive, as kill(pid, 0) says
    return text[text.rindex(")") + 2 :][:1] not in ("Z", "X")
