"""Which folders are submissions.

A PATH that holds at least one exercise module (tensors.py, autograd.py, ...) is one submission.
A PATH that holds none, but has subfolders of which at least one holds a module, is a class
folder: every subfolder is a submission (also an empty one, which then scores 0 with a message).
The student id is the folder's name. A PATH that does not exist, is not a folder or holds no
module is still reported, as a submission with score 0 and a message naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg

MODULE_FILES = tuple(f"{e.id}.py" for e in registry.MODULE_EXERCISES)


@dataclass(frozen=True)
class Target:
    """One submission to grade. ``problem`` is "", "missing", "notdir" or "empty"."""

    student: str
    folder: str
    problem: str = ""

    def problem_message(self) -> Msg | None:
        names = ", ".join(MODULE_FILES)
        if self.problem == "missing":
            return Msg(
                f"找不到提交的文件夹 {self.folder}：路径不存在。",
                f"No submission at {self.folder}: the path does not exist.",
            )
        if self.problem == "notdir":
            return Msg(
                f"{self.folder} 不是文件夹：提交应是一个包含练习模块的文件夹。",
                f"{self.folder} is not a folder: a submission is a folder holding the exercise modules.",
            )
        if self.problem == "empty":
            return Msg(
                f"{self.folder} 里没有任何练习模块（应有 {names} 中的一个或多个）。",
                f"{self.folder} holds no exercise module (expected one or more of {names}).",
            )
        return None


def is_submission(folder: Path) -> bool:
    return any((folder / name).is_file() for name in MODULE_FILES)


def _visible_subfolders(folder: Path, exclude: set[Path]) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    return [c for c in children if c.is_dir() and not c.name.startswith((".", "__")) and c.resolve() not in exclude]


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> list[Target]:
    """The submissions named by the command line's PATHs, in order, with unique student ids."""
    skip = {Path(p).resolve() for p in exclude}
    found: list[tuple[str, Path, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        folder = path.resolve()
        name = folder.name or str(folder)
        if not path.exists():
            found.append((name, folder, "missing"))
        elif not path.is_dir():
            found.append((name, folder, "notdir"))
        elif is_submission(folder):
            found.append((name, folder, ""))
        else:
            subs = _visible_subfolders(folder, skip)
            if any(is_submission(s) for s in subs):
                found += [(s.name, s.resolve(), "" if is_submission(s) else "empty") for s in subs]
            else:
                found.append((name, folder, "empty"))
    targets, seen = [], {}
    for name, folder, problem in found:
        if any(t.folder == str(folder) for t in targets):
            continue  # the same folder named twice
        count = seen[name] = seen.get(name, 0) + 1
        targets.append(Target(name if count == 1 else f"{name}-{count}", str(folder), problem))
    return targets
