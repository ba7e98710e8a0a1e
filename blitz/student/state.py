"""Where a student stands: each exercise's state, kept per folder, and what comes next.

Shared by `blitz list`, `check`, `hint` and `watch` (blitz/student/cli.py, blitz/student/watch.py).
Each exercise's :class:`blitz.engine.results.ExerciseResult` says where the student stands
(:class:`blitz.engine.results.Standing`), in the order a student meets the states:

- ``not_started``: every check stops at a stub's ``raise NotImplementedError`` (the stub as generated);
- ``failing``:     some code is there, and at least one check fails;
- ``done``:        every check passes;
- ``missing``:     the file is not in the folder (``blitz reset ID`` brings the stub back);
- ``no_data``:     a check needs MNIST and it is not there;
- ``unchecked``:   the capstone (it trains for a minute) has not been run on this code yet.

Every exercise's last result (its ExerciseResult as JSON) is kept in the folder's state file,
keyed by a hash of the files it runs, of the kit and of the context (:func:`fingerprint`), so
`blitz list` shows it without running anything; :class:`blitz.student.standing.Course` runs what is
not known yet, through :mod:`blitz.execution`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blitz.course.i18n import Msg
from blitz.course.registry import Exercise
from blitz.engine.results import ExerciseResult, Standing

STATE_DIR = ".blitz"  # inside the exercises folder; gitignored (.gitignore has `.blitz/`)


class State:
    """Small per-folder memory: hints shown per exercise, the capstone's last result."""

    def __init__(self, folder: Path):
        self.path = folder / STATE_DIR / "state.json"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or broken: start afresh rather than fail
            data = {}
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def _table(self, name: str) -> dict:
        """The dict kept under `name`; a missing or malformed one (say `"hints": []`) becomes empty."""
        table = self.data.get(name)
        if not isinstance(table, dict):
            table = self.data[name] = {}
        return table

    def hints_shown(self, exercise_id: str) -> int:
        value = self._table("hints").get(exercise_id, 0)
        return value if isinstance(value, int) and value >= 0 else 0

    def set_hints_shown(self, exercise_id: str, count: int) -> None:
        self._table("hints")[exercise_id] = count
        self.save()

    def cached(self, key: str, fingerprint: str) -> ExerciseResult | None:
        """The result remembered for `key` with this fingerprint; None if there is none (or it is unreadable)."""
        entry = self._table("results").get(key)
        if not isinstance(entry, dict) or entry.get("fingerprint") != fingerprint:
            return None
        try:
            return ExerciseResult.from_json(entry["result"])
        except (KeyError, TypeError, ValueError, AttributeError):  # a file from an older kit, or edited
            return None

    def remember(self, key: str, fingerprint: str, result: ExerciseResult) -> None:
        self._table("results")[key] = {"fingerprint": fingerprint, "result": result.to_json()}
        self.save()

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)  # atomic: a crash never leaves half a file
        except OSError:  # a read-only folder: hints still work, they are just not remembered
            pass


# --- states -----------------------------------------------------------------------------------


@dataclass
class ExerciseStatus:
    """An exercise of the course and its result: where the student stands in it."""

    exercise: Exercise
    result: ExerciseResult

    @classmethod
    def given(cls, exercise: Exercise, standing: Standing, note: Msg) -> ExerciseStatus:
        """No check decides it: a missing file, the capstone waiting for its inputs or not run yet."""
        return cls(exercise, ExerciseResult(exercise.id, given=standing, note=note))

    @property
    def state(self) -> Standing:
        return self.result.standing

    @property
    def results(self):
        """The CheckResults, in check order."""
        return self.result.checks

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def note(self) -> Msg | None:
        """Why no check (or not every check) ran: a missing file, no MNIST, the capstone not run."""
        return self.result.note

    @property
    def done(self) -> bool:
        return self.state is Standing.DONE

    @property
    def passed_count(self) -> int:
        return self.result.passed_count


def fingerprint(folder: Path, exercise: Exercise, extra: str = "") -> str:
    """A hash of the file(s) an exercise's checks run: a saved change gives a new one."""
    names = exercise.modules
    digest = hashlib.sha256(extra.encode())
    for name in names:
        path = folder / f"{name}.py"
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def course_totals(statuses: list[ExerciseStatus]) -> tuple[int, int, float]:
    """(required exercises done, required exercises, points earned in all exercises)."""
    required = [s for s in statuses if not s.exercise.optional]
    return sum(s.done for s in required), len(required), sum(s.score for s in statuses)


def next_exercise(statuses: list[ExerciseStatus]) -> Exercise | None:
    """The first required exercise not done, then the optional ones; None when all are done."""
    for optional in (False, True):
        for status in statuses:
            if status.exercise.optional == optional and not status.done:
                return status.exercise
    return None
