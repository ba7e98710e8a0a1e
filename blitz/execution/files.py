"""A submission's files as the trusted side touches them: by lstat, regular files only, with size caps.

The grader reads a student's *.py files before any sandbox exists (to fingerprint them) and copies
them for the worker. A symlink (to /dev/zero, to a classmate's file, to a hidden solution), a FIFO,
a device or a socket named like a module would make those reads hang, bloat the grader or read
what the student may not. So every entry is looked at with ``lstat`` (never following a link), and
a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked again with ``fstat`` before a byte is
read: a file swapped for something else in between is refused too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from blitz.course.i18n import Msg, tr

MAX_FILE_BYTES = 1 << 20  # one .py file: course solutions are a few KB
MAX_FILES = 200  # .py files in one submission
MAX_TOTAL_BYTES = 8 << 20  # all of them


class UnsafeFile(Exception):
    """A submission file the grader will not read; ``msg`` (and its ``zh``/``en``) says which and why."""

    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg
        self.zh, self.en = msg.zh, msg.en


def kind_of_entry(mode: int) -> tuple[str, str] | None:
    """(zh, en) naming a file type that is not a regular file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, zh, en in (
        (stat.S_ISLNK, "符号链接", "a symlink"),
        (stat.S_ISFIFO, "命名管道（FIFO）", "a FIFO"),
        (stat.S_ISCHR, "字符设备", "a character device"),
        (stat.S_ISBLK, "块设备", "a block device"),
        (stat.S_ISSOCK, "套接字", "a socket"),
        (stat.S_ISDIR, "文件夹", "a folder"),
    ):
        if test(mode):
            return zh, en
    return "特殊文件", "a special file"


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if e.name.endswith(".py")), key=lambda e: e.name)
    except OSError:
        return []


def regular_python_files(folder: Path | str) -> list[Path]:
    """The submission's *.py files, every one a regular file within the caps (by lstat, no link
    followed). UnsafeFile names the first that is not: a symlink, FIFO, device or socket named *.py,
    a file over MAX_FILE_BYTES, more than MAX_FILES files or MAX_TOTAL_BYTES in all. A folder named
    *.py is left out (it is no module)."""
    found, total = [], 0
    for entry in _entries(Path(folder)):
        name = entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            raise UnsafeFile(tr("{name} cannot be read", name=name)) from None
        if stat.S_ISDIR(info.st_mode):
            continue
        kind = kind_of_entry(info.st_mode)
        if kind is not None:
            raise UnsafeFile(tr("{name} is {kind_1}", name=name, kind_1=kind[1], kind_0=kind[0]))
        if info.st_size > MAX_FILE_BYTES:
            raise UnsafeFile(
                tr(
                    "{name} has {info_st_size:,} bytes, more than the {MAX_FILE_BYTES:,} allowed",
                    name=name,
                    info_st_size=info.st_size,
                    MAX_FILE_BYTES=MAX_FILE_BYTES,
                ),
            )
        total += info.st_size
        found.append(Path(entry.path))
    if len(found) > MAX_FILES or total > MAX_TOTAL_BYTES:
        raise UnsafeFile(
            tr(
                "the submission holds {len_found} .py files of {total:,} bytes in all, more than allowed ({MAX_FILES} files, {MAX_TOTAL_BYTES:,} bytes)",
                len_found=len(found),
                total=total,
                MAX_FILES=MAX_FILES,
                MAX_TOTAL_BYTES=MAX_TOTAL_BYTES,
            ),
        )
    return found


def read_regular(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; never follows a link, never blocks on a
    FIFO or a device. UnsafeFile otherwise."""
    name = Path(path).name
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFile(tr("{name} cannot be opened ({exc_strerror})", name=name, exc_strerror=exc.strerror)) from None
    try:
        info = os.fstat(fd)
        kind = kind_of_entry(info.st_mode)
        if kind is not None:
            raise UnsafeFile(tr("{name} is {kind_1}", name=name, kind_1=kind[1], kind_0=kind[0]))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnsafeFile(tr("{name} has more than {limit:,} bytes", name=name, limit=limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def copy_python_files(folder: Path | str, dest: Path | str) -> list[str]:
    """Copy the submission's regular *.py files into dest (read as :func:`read_regular` reads);
    the names copied. UnsafeFile when one is not a plain file within the caps."""
    names = []
    for path in regular_python_files(folder):
        data = read_regular(path)
        (Path(dest) / path.name).write_bytes(data)
        names.append(path.name)
    return names


@dataclass(frozen=True)
class Snapshot:
    """A submission's *.py files read once, by the rules above: what is fingerprinted is what runs.

    ``files``: (name, bytes, or None for a file that could not be read); ``unsafe``: why the folder's
    files could not be listed (then ``files`` is empty)."""

    folder: str
    files: tuple[tuple[str, bytes | None], ...] = ()
    unsafe: str = ""

    def digest(self, problem: str, decisive: dict, version: str) -> str:
        """sha256 of the files, the kit version and the decisive options (an unreadable file is
        hashed as "unreadable"); `problem`: what discovery found wrong, then no file counts."""
        h = hashlib.sha256()
        h.update(f"blitz {version}\n".encode())
        h.update(json.dumps(decisive, sort_keys=True).encode())
        h.update(f"\n{problem}\n".encode())
        if not problem:
            if self.unsafe:
                h.update(f"unsafe: {self.unsafe}".encode())
            for name, data in self.files:
                h.update(name.encode() + b"\0")
                h.update(b"unreadable" if data is None else hashlib.sha256(data).digest())
        return h.hexdigest()

    def write(self, dest: Path | str) -> list[str]:
        """The files written into dest; none when one of them could not be read (the submission is
        refused before grading then: discover.recheck)."""
        if self.unsafe or any(data is None for _, data in self.files):
            return []
        for name, data in self.files:
            (Path(dest) / name).write_bytes(data)  # type: ignore[arg-type]
        return [name for name, _ in self.files]


def snapshot(folder: Path | str) -> Snapshot:
    """The submission's regular *.py files, each read once (lstat, no link followed, size caps)."""
    try:
        paths = regular_python_files(folder)
    except UnsafeFile as exc:
        return Snapshot(str(folder), (), exc.en)
    found: list[tuple[str, bytes | None]] = []
    for path in paths:
        try:
            found.append((path.name, read_regular(path)))
        except UnsafeFile:
            found.append((path.name, None))
    return Snapshot(str(folder), tuple(found))


def fingerprint(folder: str, problem: str, decisive: dict, version: str) -> str:
    """:meth:`Snapshot.digest` of the folder as it is now (not read when there is a `problem`)."""
    taken = snapshot(folder) if not problem else Snapshot(str(folder))
    return taken.digest(problem, decisive, version)


def remove_tree(path: Path) -> None:
    """Remove a folder of the grader's, whatever is in it (deep trees included); never raises."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        pass
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False, timeout=300)
