"""What a course hands the grader, made into one folder per student before `blitz grade` looks at it.

`blitz grade` grades class folders (one subfolder per student). Courses hand over other shapes too:

- **per-student zips**: a folder of ``<student>.zip``, each holding the student's modules or notebooks
  (at the top or in one folder inside);
- **Canvas** "Download Submissions": flat files named ``<name>[_LATE]_<user id>_<submission id>_<file>``
  (a resubmitted file gets ``-1``, ``-2`` before its extension), as the zip Canvas gives or unpacked;
- **Moodle** "Download all submissions": one folder per student,
  ``<Full Name>_<participant id>_assignsubmission_file[_]``, or the same prefix on flat file names.

Each is staged into a folder of the grader's (one subfolder per student, holding only the exercise
modules and notebooks found, under their plain names). The student's id is the LMS's name and id
joined (``smithjane_12345``), so two students of one name stay apart. What the LMS says of a
submission (late, its id) is kept in :class:`Entry` for the reports.

Everything here reads untrusted bytes, so: entries are looked at by lstat and files read by
:func:`blitz.execution.files.read_regular` (no link followed, size caps); a zip is read from memory with
caps on its entries and on every file's real (decompressed) size, never extracted by name (no
absolute path or ``..`` can place a file anywhere), and links inside it are skipped. A zip or file the
grader refuses becomes a note naming it, never an exception that stops the batch.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from blitz.course import registry
from blitz.course.i18n import Msg, tr
from blitz.execution import files
from blitz.grading.names import student_id, terminal
from blitz.grading.notebook_submission import NOTEBOOK_BYTES

MAX_ZIP_BYTES = 64 << 20  # one student's zip: notebooks keep their figures
MAX_ZIP_ENTRIES = 2000
# The files worth staging: an exercise's module or its notebook, by plain name.
WANTED = {f"{e.id}.py" for e in registry.MODULE_EXERCISES} | {f"{e.id}.ipynb" for e in registry.MODULE_EXERCISES}

CANVAS = re.compile(r"^(?P<name>[^_/]+?)_(?P<late>late_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$", re.I)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?:file|onlinetext)_?(?P<file>.*)$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-\d+(?P<ext>\.(?:py|ipynb))$")


@dataclass
class Entry:
    """One student of a staged class: where their files came from and what the LMS said of them."""

    student: str
    source: str  # the zip or the LMS's file or folder the files came from
    lms: str = ""  # "canvas", "moodle" or "zip"
    lms_id: str = ""  # the LMS's id of the student
    late: bool = False  # the LMS marked the submission late
    files: dict[str, bytes] = field(default_factory=dict)  # plain name -> bytes


@dataclass
class Intake:
    """The paths to grade (staged folders in place of the LMS's shapes), who is in them, and notes."""

    paths: list[str]
    entries: dict[str, Entry] = field(default_factory=dict)
    notes: list[Msg] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """A file of what was handed over: its path's last parts (one or two), and how to read it within a
    cap (Unreadable says why it cannot be)."""

    parts: tuple[str, ...]
    read: Callable[[int], bytes]


class Unreadable(Exception):
    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


def _plain_name(name: str) -> str | None:
    """The exercise file a name stands for (``tensors-1.py`` is a resubmitted ``tensors.py``), or None."""
    if name in WANTED:
        return name
    again = RESUBMITTED.match(name)
    return again["stem"] + again["ext"] if again and again["stem"] + again["ext"] in WANTED else None


def _limit(name: str) -> int:
    if name.lower().endswith(".zip"):
        return MAX_ZIP_BYTES
    return NOTEBOOK_BYTES if name.endswith(".ipynb") else files.MAX_FILE_BYTES


def _from_disk(path: Path) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        try:
            return files.read_regular(path, limit)
        except files.UnsafeFile as exc:
            raise Unreadable(
                tr(
                    "{terminal_path_name} was not read: {exc_en}.",
                    terminal_path_name=terminal(path.name),
                    exc_en=exc.en,
                    exc_zh=exc.zh,
                )
            ) from None

    return read


def folder_items(folder: Path) -> list[Item]:
    """The files of a folder and of its subfolders (one level), by lstat: links are never followed."""
    items = []
    for top in sorted(folder.iterdir()):
        try:
            mode = os.lstat(top).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            items += [Item((top.name, inner.name), _from_disk(inner)) for inner in sorted(top.iterdir())]
        elif not stat.S_ISLNK(mode):
            items.append(Item((top.name,), _from_disk(top)))
    return items


def _from_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> Callable[[int], bytes]:
    entry = terminal(info.filename)  # the student's text: shown cleaned

    def read(limit: int) -> bytes:
        try:
            with archive.open(info) as f:
                data = f.read(limit + 1)  # the real size, whatever the header claims
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
            raise Unreadable(tr("{entry} in {label} cannot be unpacked.", entry=entry, label=label)) from None
        if len(data) > limit:
            raise Unreadable(tr("{entry} in {label} has over {limit:,} bytes.", entry=entry, label=label, limit=limit))
        return data

    return read


def zip_items(raw: bytes | BinaryIO, label: str) -> list[Item]:
    """The files of a zip, from its bytes or an open file (no link, no folder entry); nothing is written
    anywhere by its entries' names."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw) if isinstance(raw, bytes) else raw)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        raise Unreadable(tr("{label} is not a zip file that can be read.", label=label)) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Unreadable(
            tr("{label} has over {MAX_ZIP_ENTRIES} entries.", label=label, MAX_ZIP_ENTRIES=MAX_ZIP_ENTRIES)
        )
    items = []
    for info in infos:
        parts = tuple(p for p in PurePosixPath(info.filename.replace("\\", "/")).parts if p not in ("/", ".", ".."))
        if parts and not info.is_dir() and not stat.S_ISLNK(info.external_attr >> 16):
            items.append(Item(parts[-2:], _from_zip(archive, info, label)))
    return items


def _student_files(items: list[Item], label: str, notes: list[Msg]) -> dict[str, bytes]:
    """The exercise files among one student's items, by plain name (a student's zip unpacked once).
    Two different files of one name: neither is used, and a note says so."""
    found: dict[str, bytes] = {}
    for item in items:
        name = item.parts[-1]
        try:
            if name.lower().endswith(".zip"):
                inner = zip_items(item.read(MAX_ZIP_BYTES), terminal(name))
                found.update({k: v for k, v in _student_files(inner, label, notes).items() if k not in found})
                continue
            plain = _plain_name(name)
            if plain is None:
                continue
            data = item.read(_limit(plain))
        except Unreadable as exc:
            notes.append(exc.msg)
            continue
        if plain in found and found[plain] != data and name == plain:
            notes.append(tr("{label} holds two different {plain}; neither is used.", label=label, plain=plain))
            found[plain] = b""
        elif plain not in found or name != plain:  # a resubmission (tensors-1.py) replaces the first upload
            found[plain] = data
    return {k: v for k, v in found.items() if v}


def _lms_entry(name: str) -> tuple[Entry, str] | None:
    """(the student an LMS's file or folder name names, the file name it carries), or None."""
    canvas = CANVAS.match(name)
    if canvas:
        entry = Entry(
            student_id(f"{canvas['name']}_{canvas['uid']}"), name, "canvas", canvas["uid"], bool(canvas["late"])
        )
        return entry, canvas["file"]
    moodle = MOODLE.match(name)
    if moodle:
        entry = Entry(student_id(f"{moodle['name']}_{moodle['uid']}".replace(" ", "_")), name, "moodle", moodle["uid"])
        return entry, moodle["file"]
    return None


def classify(items: list[Item], label: str) -> Intake | None:
    """The students in what was handed over, or None when it is none of the shapes this module knows
    (then it is graded as it is: a submission, or a class folder of them)."""
    if any(len(i.parts) == 1 and i.parts[0] in WANTED for i in items):
        return None  # a submission folder itself
    groups: dict[str, tuple[Entry, list[Item]]] = {}
    for item in items:
        found = _lms_entry(item.parts[0])
        if found is not None:
            entry, carried = found
            if len(item.parts) == 1:  # a flat LMS file: the name it carries is the student's file name
                item = Item((carried,), item.read)
        elif len(item.parts) == 1 and item.parts[0].lower().endswith(".zip"):
            entry = Entry(student_id(item.parts[0][:-4]), item.parts[0], "zip")
        else:
            continue
        kept = groups.setdefault(entry.student, (entry, []))
        kept[0].late = kept[0].late or entry.late
        kept[1].append(item)
    if not groups:
        return None
    intake = Intake(paths=[])
    for student, (entry, own) in sorted(groups.items()):
        entry.files = _student_files(own, terminal(entry.source), intake.notes)
        intake.entries[student] = entry
    return intake


def _write(intake: Intake, staging: Path) -> Path:
    """One folder per student under `staging`, holding that student's files only."""
    if staging.exists():
        shutil.rmtree(staging)
    for entry in intake.entries.values():
        folder = staging / entry.student
        folder.mkdir(parents=True)
        for name, data in entry.files.items():
            (folder / name).write_bytes(data)
    return staging


def prepare(paths: list[str], staging: Path) -> Intake:
    """The paths to grade: each PATH that is a folder of per-student zips, a Canvas or Moodle download,
    or such a download as its zip, is staged under `staging` (the grader's); the others stay as they are."""
    result = Intake(paths=[])
    for number, raw in enumerate(paths):
        path = Path(raw).expanduser()
        with contextlib.ExitStack() as stack:
            found = _classified(path, stack, result.notes)
            if found is None:
                result.paths.append(raw)
                continue
            result.paths.append(str(_write(found, staging / f"{number}-{student_id(path.name)}")))
        result.entries.update(found.entries)
        result.notes += found.notes
    return result


def _classified(path: Path, stack: contextlib.ExitStack, notes: list[Msg]) -> Intake | None:
    """What a PATH holds, if it is one of the shapes this module stages; a zip stays open in `stack`."""
    label = terminal(path.name)
    try:
        if path.suffix.lower() == ".zip" and path.is_file():
            # The LMS's download is the instructor's file, named on the command line: opened as it is.
            items = zip_items(stack.enter_context(open(path, "rb")), label)
        elif path.is_dir() and not path.is_symlink():
            items = folder_items(path)
        else:
            return None
    except (Unreadable, OSError) as exc:
        notes.append(exc.msg if isinstance(exc, Unreadable) else tr("{label} cannot be read.", label=label))
        return None
    return classify(items, label) if items else None
