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

The capstone's result (its ExerciseResult as JSON) is kept in the folder's state file, keyed by a
hash of the four files it runs and the training budget, so `blitz list` can show it without
training again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blitz.course import registry
from blitz.course.i18n import Msg
from blitz.course.registry import PIPELINE_INPUTS, Exercise
from blitz.engine.results import ExerciseResult, Standing, Status
from blitz.student.paths import exercise_file, shown_path

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
    names = [exercise.id] if exercise.has_module else list(PIPELINE_INPUTS)
    digest = hashlib.sha256(extra.encode())
    for name in names:
        path = folder / f"{name}.py"
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


class Course:
    """Runs the checks of a folder's exercises, re-running only what changed since the last time."""

    def __init__(self, folder: Path, ctx=None, state: State | None = None):
        from blitz.checks import Context

        self.folder = folder
        self.ctx = ctx or Context()
        self.state = state or State(folder)
        self._memo: dict[str, tuple[str, ExerciseStatus]] = {}

    def _extra(self, exercise: Exercise) -> str:
        # The capstone's verdict depends on the training budget too; others only on the code.
        if exercise.has_module:
            return ""
        return f"epochs={self.ctx.epochs};seed={self.ctx.seed};device={self.ctx.device}"

    def status(self, exercise: Exercise, run_capstone: bool = False) -> ExerciseStatus:
        key = fingerprint(self.folder, exercise, self._extra(exercise))
        memo = self._memo.get(exercise.id)
        # A capstone known only from the state file (no results) runs when asked to: its message is wanted.
        if memo and memo[0] == key and (not run_capstone or exercise.has_module or memo[1].results):
            return memo[1]
        if exercise.has_module and not exercise_file(self.folder, exercise).is_file():
            status = ExerciseStatus.given(
                exercise,
                Standing.MISSING,
                Msg(
                    f"{shown_path(exercise_file(self.folder, exercise))} 不存在。运行 `blitz reset {exercise.id}` 取回原始练习文件。",
                    f"{shown_path(exercise_file(self.folder, exercise))} does not exist. Run `blitz reset {exercise.id}` to get the original stub back.",
                ),
            )
        elif not exercise.has_module and not run_capstone:
            status = self._capstone_without_running(exercise, key)
        else:
            status = self.run(exercise)
            if not exercise.has_module:
                self.state.remember(exercise.id, key, status.result)
        self._memo[exercise.id] = (key, status)
        return status

    def _capstone_without_running(self, exercise: Exercise, key: str) -> ExerciseStatus:
        cached = self.state.cached(exercise.id, key)
        if cached and cached.standing in (Standing.DONE, Standing.FAILING):
            return ExerciseStatus(exercise, cached)
        waiting = [e for e in PIPELINE_INPUTS if not self.status(registry.get(e)).done]
        if waiting:
            names = ", ".join(waiting)
            return ExerciseStatus.given(
                exercise, Standing.NOT_STARTED, Msg(f"先完成 {names}。", f"Finish {names} first.")
            )
        from blitz.course import mnist

        root = Path(self.ctx.data_root) if self.ctx.data_root else mnist.data_root()
        missing = mnist.missing_files(root)
        if missing:  # what running it would say: list and watch agree
            return ExerciseStatus.given(exercise, Standing.NO_DATA, mnist.MnistMissing(root, missing).msg)
        return ExerciseStatus.given(
            exercise,
            Standing.UNCHECKED,
            Msg(
                f"运行 `blitz check {exercise.id}`：用你的代码在 MNIST 上训练并评估（多数电脑上不到一分钟）。",
                f"Run `blitz check {exercise.id}`: it trains and evaluates your code on MNIST (under a minute on most computers).",
            ),
        )

    def run(self, exercise: Exercise) -> ExerciseStatus:
        """Run every check of one exercise on a fresh load of the student's files."""
        from blitz.checks import checks_for, run_check
        from blitz.probes.local import LocalSubmission, clear_module_cache

        clear_module_cache()
        sub = LocalSubmission(self.folder)
        results = []
        for entry in checks_for(exercise.id):
            result = run_check(entry, sub, self.ctx)
            if result.status is Status.NO_DATA:  # the checks before it stand; the note says how to get MNIST
                return ExerciseStatus(exercise, ExerciseResult(exercise.id, results, Standing.NO_DATA, result.message))
            results.append(result)
        return ExerciseStatus(exercise, ExerciseResult(exercise.id, results))

    def statuses(self, run_capstone: bool = False) -> list[ExerciseStatus]:
        return [self.status(e, run_capstone) for e in registry.EXERCISES]


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
