"""Which students of a course nbgrader must not touch: looked at with lstat before nbgrader copies anything.

nbgrader copies ``submitted/<student>/<assignment>/`` following links, opens every file, and reads a
notebook whole. A student whose folder is a link, or holds a link, FIFO, device or socket, a file over
FILE_BYTES or more than FOLDER_BYTES in all, is refused (:func:`unsafe_submissions`): nothing of it is
followed or opened, and `blitz course-autograde` leaves it out of nbgrader's run.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from blitz.grading.notebook.extract import MAX_NOTEBOOK_BYTES

MAX_ENTRIES = 10_000  # entries of one student's assignment folder looked at before it is refused
# What nbgrader may read and copy of one student (it reads a notebook whole, and copies every file): a file
# at most the size the kit itself reads of a notebook, the folder at most FOLDER_BYTES.
FILE_BYTES = MAX_NOTEBOOK_BYTES
FOLDER_BYTES = 256 << 20


def _bad_entries(folder: Path) -> list[str]:
    """Entries of `folder`'s tree (by lstat, no link followed) that are neither folders nor regular files,
    regular files over FILE_BYTES, and the tree's size when it is over FOLDER_BYTES."""
    from blitz.execution.files import kind_of_entry

    bad: list[str] = []
    seen, total, todo = 0, 0, [folder]
    while todo:
        current = todo.pop()
        try:
            with os.scandir(current) as it:  # never more than the entries left are read: a folder may hold millions
                entries = sorted(itertools.islice(it, MAX_ENTRIES - seen + 1), key=lambda e: e.name)
        except OSError as exc:
            return [f"{current.relative_to(folder.parent)} ({exc.strerror})"]
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                return bad + [f"more than {MAX_ENTRIES} entries"]
            info = entry.stat(follow_symlinks=False)
            kind = kind_of_entry(info.st_mode)
            if kind is None:
                total += info.st_size
                if info.st_size > FILE_BYTES:
                    where = Path(entry.path).relative_to(folder.parent)
                    bad.append(f"{where} (a file of {info.st_size >> 20} MiB, over {FILE_BYTES >> 20} MiB)")
                continue
            if kind[1] == "a folder":
                todo.append(Path(entry.path))
            else:
                bad.append(f"{Path(entry.path).relative_to(folder.parent)} ({kind[1]})")
    if total > FOLDER_BYTES:
        bad.append(f"{folder.name}/ holds {total >> 20} MiB, over {FOLDER_BYTES >> 20} MiB")
    return bad


def unsafe_submissions(root: Path, assignment: str) -> dict[str, str]:
    """Each student of ``submitted/`` whose folder for `assignment` nbgrader must not copy, with the
    entries that make it so (links, FIFOs, devices, sockets, files too large; by lstat: nothing is followed or
    opened)."""
    from blitz.grading.names import terminal

    refused = {}
    with os.scandir(root / "submitted") as it:
        students = sorted(it, key=lambda e: e.name)
    for entry in students:
        folder = Path(entry.path)
        if entry.is_symlink():
            refused[entry.name] = f"submitted/{terminal(entry.name)} is a symlink"
            continue
        if not entry.is_dir(follow_symlinks=False) or not os.path.lexists(folder / assignment):
            continue
        if os.path.islink(folder / assignment) or not (folder / assignment).is_dir():
            refused[entry.name] = f"submitted/{terminal(entry.name)}/{assignment} is not a plain folder"
            continue
        bad = _bad_entries(folder / assignment)
        if bad or "," in entry.name:  # nbgrader's exclusion list is comma-separated
            refused[entry.name] = "; ".join(terminal(b) for b in bad) or "a comma in the folder's name"
    return refused
