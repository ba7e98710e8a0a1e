"""Where a student stands: each exercise's state, kept per folder, and what comes next.

Shared by `blitz list`, `check`, `hint` and `watch` (blitz/student/cli.py, blitz/student/watch.py).
States, in the order a student meets them:

- ``not_started``: every check stops at a stub's ``raise NotImplementedError`` (the stub as generated);
- ``failing``:     some code is there, and at least one check fails;
- ``done``:        every check passes;
- ``missing``:     the file is not in the folder (``blitz reset ID`` brings the stub back);
- ``no_data``:     a check needs MNIST and it is not there;
- ``unchecked``:   the capstone (it trains for a minute) has not been run on this code yet.

The capstone's result is kept in the folder's state file, keyed by a hash of the four files it
runs, so `blitz list` can show it without training again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blitz.course import registry
from blitz.course.i18n import Msg
from blitz.course.registry import PIPELINE_INPUTS, Exercise
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

    def cached(self, key: str, fingerprint: str) -> dict | None:
        entry = self._table("results").get(key)
        return entry if isinstance(entry, dict) and entry.get("fingerprint") == fingerprint else None

    def remember(self, key: str, entry: dict) -> None:
        self._table("results")[key] = entry
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
class Status:
    exercise: Exercise
    state: str
    results: list = field(default_factory=list)  # CheckResult, in check order
    score: float = 0.0
    note: Msg | None = None  # why there are no results (missing file, no data, not checked)

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def passed_count(self) -> int:
        return sum(r.passed for r in self.results)


def classify(results: list) -> str:
    if results and all(r.passed for r in results):
        return "done"
    if results and all(r.status == "not_done" for r in results):
        return "not_started"
    return "failing"


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
        self._memo: dict[str, tuple[str, Status]] = {}

    def _extra(self, exercise: Exercise) -> str:
        # The capstone's verdict depends on the training budget too; others only on the code.
        if exercise.has_module:
            return ""
        return f"epochs={self.ctx.epochs};seed={self.ctx.seed};device={self.ctx.device}"

    def status(self, exercise: Exercise, run_capstone: bool = False) -> Status:
        key = fingerprint(self.folder, exercise, self._extra(exercise))
        memo = self._memo.get(exercise.id)
        # A capstone known only from the state file (no results) runs when asked to: its message is wanted.
        if memo and memo[0] == key and (not run_capstone or exercise.has_module or memo[1].results):
            return memo[1]
        if exercise.has_module and not exercise_file(self.folder, exercise).is_file():
            status = Status(
                exercise,
                "missing",
                note=Msg(
                    f"{shown_path(exercise_file(self.folder, exercise))} 不存在。运行 `blitz reset {exercise.id}` 取回原始练习文件。",
                    f"{shown_path(exercise_file(self.folder, exercise))} does not exist. Run `blitz reset {exercise.id}` to get the original stub back.",
                ),
            )
        elif not exercise.has_module and not run_capstone:
            status = self._capstone_without_running(exercise, key)
        else:
            status = self.run(exercise)
            if not exercise.has_module:
                self.state.remember(exercise.id, {"fingerprint": key, "state": status.state, "score": status.score})
        self._memo[exercise.id] = (key, status)
        return status

    def _capstone_without_running(self, exercise: Exercise, key: str) -> Status:
        cached = self.state.cached(exercise.id, key)
        if cached and cached.get("state") in ("done", "failing"):
            return Status(exercise, cached["state"], score=float(cached.get("score", 0.0)))
        waiting = [e for e in PIPELINE_INPUTS if not self.status(registry.get(e)).done]
        if waiting:
            names = ", ".join(waiting)
            return Status(exercise, "not_started", note=Msg(f"先完成 {names}。", f"Finish {names} first."))
        from blitz.course import mnist

        root = Path(self.ctx.data_root) if self.ctx.data_root else mnist.data_root()
        missing = mnist.missing_files(root)
        if missing:  # what running it would say: list and watch agree
            return Status(exercise, "no_data", note=mnist.MnistMissing(root, missing).msg)
        return Status(
            exercise,
            "unchecked",
            note=Msg(
                f"运行 `blitz check {exercise.id}`：用你的代码在 MNIST 上训练并评估（多数电脑上不到一分钟）。",
                f"Run `blitz check {exercise.id}`: it trains and evaluates your code on MNIST (under a minute on most computers).",
            ),
        )

    def run(self, exercise: Exercise) -> Status:
        """Run every visible check of one exercise on a fresh load of the student's files."""
        from blitz.checks import checks_for, run_check
        from blitz.probes.local import LocalSubmission, clear_module_cache

        clear_module_cache()
        sub = LocalSubmission(self.folder)
        results = []
        # Hidden checks belong to nbgrader's grading; a student sees them only in the graded notebook.
        for entry in (c for c in checks_for(exercise.id) if not c.hidden):
            result = run_check(entry, sub, self.ctx)
            if result.status == "no_data":
                return Status(exercise, "no_data", results, note=result.message)
            results.append(result)
        return Status(exercise, classify(results), results, sum(r.score for r in results))

    def statuses(self, run_capstone: bool = False) -> list[Status]:
        return [self.status(e, run_capstone) for e in registry.EXERCISES]


def course_totals(statuses: list[Status]) -> tuple[int, int, float]:
    """(required exercises done, required exercises, points earned in all exercises)."""
    required = [s for s in statuses if not s.exercise.optional]
    return sum(s.done for s in required), len(required), sum(s.score for s in statuses)


def next_exercise(statuses: list[Status]) -> Exercise | None:
    """The first required exercise not done, then the optional ones; None when all are done."""
    for optional in (False, True):
        for status in statuses:
            if status.exercise.optional == optional and not status.done:
                return status.exercise
    return None
