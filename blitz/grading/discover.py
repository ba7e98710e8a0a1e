"""Which folders are submissions.

A PATH that holds at least one exercise module (tensors.py, autograd.py, ...) is one submission.
A PATH that holds none, but has subfolders of which at least one holds a module, is a class
folder: every subfolder is a submission (also an empty one, which then scores 0 with a message).
The student id is the folder's name, made safe and kept injective (blitz.grading.names.student_id:
control characters escaped as %XX, never the name of a report file). Folders whose names differ only
in case or Unicode compatibility form (or are the same name reached by two PATHs) are all refused,
each with a record naming every one of them: no grade is ever filed under another folder's id. A PATH that does not exist, is not a folder or holds no module is
still reported, as a submission with score 0 and a message naming it. So is a submission with a
*.py file that is not a plain file (a symlink, FIFO, device) or is too large
(blitz.execution.files): it is not graded and costs nothing else. Entries are looked at with lstat:
no link is followed, no file opened.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, tr
from blitz.execution.files import UnsafeFile, regular_python_files
from blitz.grading.names import collision_key, student_id, terminal

MODULE_FILES = tuple(f"{e.id}.py" for e in registry.MODULE_EXERCISES)
NOTEBOOK_FILES = tuple(f"{e.id}.ipynb" for e in registry.MODULE_EXERCISES)  # graded as their modules


@dataclass(frozen=True)
class Target:
    """One submission to grade. ``problem`` is "", "missing", "notdir", "empty", "unsafe" (then
    ``detail`` says, in (zh, en), which file and why) or "collision" (``detail`` names the folders)."""

    student: str
    folder: str
    problem: str = ""
    detail: tuple[str, str] = ("", "")

    def problem_message(self) -> Msg | None:
        names = ", ".join(MODULE_FILES)
        folder = terminal(self.folder)  # the folder's name is the student's: no newline, no escape
        if self.problem == "missing":
            return tr("No submission at {folder}: the path does not exist.", folder=folder)
        if self.problem == "notdir":
            return tr("{folder} is not a folder: a submission is a folder holding the exercise modules.", folder=folder)
        if self.problem == "empty":
            return tr(
                "{folder} holds no exercise module (expected one or more of {names}).", folder=folder, names=names
            )
        if self.problem == "unsafe":
            return tr(
                "not graded: {self_detail_1} (the grader reads plain files only and follows no link).",
                self_detail_1=self.detail[1],
                self_detail_0=self.detail[0],
            )
        if self.problem == "collision":
            return tr(
                "not graded: the folders {self_detail_1} differ only in case or in how their names are written, (or are the same), so they would pass for one student; rename them and grade again.",
                self_detail_1=self.detail[1],
                self_detail_0=self.detail[0],
            )
        return None


def _lexists(path: Path) -> bool:
    try:
        os.lstat(path)
        return True
    except OSError:
        return False


def unsafe_detail(folder: Path) -> tuple[str, str] | None:
    """(zh, en) saying why the submission in folder will not be read, or None when it can be."""
    try:
        regular_python_files(folder)
    except UnsafeFile as exc:
        return exc.zh, exc.en
    return None


def recheck(target: Target) -> Target:
    """The target, marked "unsafe" if one of its files is now not a plain file (checked again just
    before grading: discovery may have happened a while before)."""
    if target.problem:
        return target
    detail = unsafe_detail(Path(target.folder))
    return replace(target, problem="unsafe", detail=detail) if detail else target


def is_submission(folder: Path) -> bool:
    """A folder holding an entry named like an exercise module or its notebook (by lstat: a link or a
    FIFO named tensors.py counts, so that it is reported rather than silently skipped)."""
    return any(_lexists(folder / name) for name in (*MODULE_FILES, *NOTEBOOK_FILES))


def _visible_subfolders(folder: Path, exclude: set[Path]) -> list[tuple[Path, str]]:
    """(path, "" or "a symlink") of each subfolder that is not hidden; a link is never followed."""
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    found = []
    for child in children:
        if child.name.startswith((".", "__")):
            continue
        try:
            mode = os.lstat(child).st_mode
        except OSError:
            continue
        if stat.S_ISLNK(mode):
            found.append((child, "link"))
        elif stat.S_ISDIR(mode) and child.resolve() not in exclude:
            found.append((child, ""))
    return found


def _classify(folder: Path) -> tuple[str, tuple[str, str]]:
    if not is_submission(folder):
        return "empty", ("", "")
    detail = unsafe_detail(folder)
    return ("unsafe", detail) if detail else ("", ("", ""))


def is_class_folder(raw: str) -> bool:
    """A PATH that discover reads as a class folder (its subfolders are the submissions)."""
    folder = Path(raw).expanduser()
    if not folder.is_dir() or is_submission(folder.resolve()):
        return False
    return any(not link and is_submission(s) for s, link in _visible_subfolders(folder.resolve(), set()))


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> list[Target]:
    """The submissions named by the command line's PATHs, in order, with unique, safe student ids."""
    skip = {Path(p).resolve() for p in exclude}
    found: list[tuple[str, Path, str, tuple[str, str]]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        folder = path.resolve()
        name = folder.name or str(folder)
        if not path.exists():
            found.append((name, folder, "missing", ("", "")))
        elif not path.is_dir():
            found.append((name, folder, "notdir", ("", "")))
        elif is_submission(folder):
            found.append((name, folder, *_classify(folder)))
        else:
            subs = _visible_subfolders(folder, skip)
            if any(not link and is_submission(s) for s, link in subs):
                for sub, link in subs:
                    if link:
                        detail = (f"{sub.name} 是符号链接", f"{sub.name} is a symlink")
                        found.append((sub.name, sub.absolute(), "unsafe", detail))
                    else:
                        found.append((sub.name, sub.resolve(), *_classify(sub)))
            else:
                found.append((name, folder, "empty", ("", "")))
    unique: list[tuple[str, Path, str, tuple[str, str]]] = []
    for entry in found:
        if not any(u[1] == entry[1] for u in unique):  # the same folder named twice counts once
            unique.append(entry)
    return _refuse_collisions(unique)


def _refuse_collisions(found: list[tuple[str, Path, str, tuple[str, str]]]) -> list[Target]:
    """One Target per folder, with ids from names.student_id (injective); folders whose names share a
    names.collision_key are all refused, each naming every one of them. The same name reached by
    two PATHs gets ``%%2``, ``%%3``... on the refused copies (never part of an id student_id makes)."""
    groups: dict[str, list[str]] = {}
    for name, *_ in found:
        groups.setdefault(collision_key(name), []).append(student_id(name))
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for name, folder, problem, detail in found:
        student = student_id(name)
        group = groups[collision_key(name)]
        if len(group) > 1:
            seen[student] = seen.get(student, 0) + 1
            listed = ", ".join(i if group.count(i) == 1 else f"{i} (x{group.count(i)})" for i in dict.fromkeys(group))
            problem, detail = "collision", (listed, listed)
            student = student if seen[student] == 1 else f"{student}%%{seen[student]}"
        targets.append(Target(student, str(folder), problem, detail))
    return targets
