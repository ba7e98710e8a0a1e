"""Where the student's work is: the exercises folder, an exercise's file, a path as they would type it."""

from __future__ import annotations

import importlib.util
import os
import shlex
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, tr
from blitz.course.registry import Exercise

DEFAULT_FOLDER = registry.ROOT / "exercises"


def in_release() -> bool:
    """Installed from a class release (`blitz release`): its package leaves the instructors' tools out."""
    return importlib.util.find_spec("blitz.authoring") is None


class UsageProblem(Exception):
    """Bad input from the command line: shown as a message, never as a traceback."""

    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(msg.en)


def resolve_folder(value: str | os.PathLike | None) -> Path:
    """The student's exercises folder: --submission, relative to here or to the kit; default exercises/."""
    if value is None:
        return DEFAULT_FOLDER
    given = Path(value).expanduser()
    for base in (Path.cwd(), registry.ROOT):
        path = (base / given).resolve()
        if path.is_dir():
            return path
    raise UsageProblem(
        tr(
            "There is no folder {value}: --submission must point at the folder holding the exercise files (tensors.py, ...).",
            value=value,
        )
    )


def get_exercise(exercise_id: str) -> Exercise:
    try:
        return registry.get(exercise_id)
    except KeyError:
        ids = ", ".join(e.id for e in registry.EXERCISES)
        raise UsageProblem(
            tr("There is no exercise {exercise_id!r}. Choose one of: {ids}", exercise_id=exercise_id, ids=ids)
        ) from None


def shown_path(path: Path) -> str:
    """A path as the student would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def exercise_file(folder: Path, exercise: Exercise) -> Path:
    return folder / f"{exercise.id}.py"


def where_to_work(folder: Path, exercise: Exercise) -> Msg:
    if exercise.has_module:
        path = shown_path(exercise_file(folder, exercise))
        return Msg(path, path)
    files = ", ".join(f"{i}.py" for i in exercise.inputs)
    return tr("your {files}", files=files)


def command(text: str, folder: Path | None) -> str:
    """A `blitz ...` command as the student must type it for `folder`: with `--submission DIR` unless it
    is the default exercises/ (a footer that drops it would check or reset another folder's files)."""
    if folder is None or Path(folder).resolve() == DEFAULT_FOLDER.resolve():
        return text
    return f"{text} --submission {shlex.quote(shown_path(Path(folder)))}"


def file_to_work_on(folder: Path, exercise: Exercise) -> Msg:
    """Where the next exercise is, naming its file only if it exists (else how to get it)."""
    if not exercise.has_module or exercise_file(folder, exercise).is_file():
        return where_to_work(folder, exercise)
    path = shown_path(exercise_file(folder, exercise))
    reset = command(f"blitz reset {exercise.id}", folder)
    return tr("{path} does not exist yet: `{reset}` writes the stub there", path=path, reset=reset)
