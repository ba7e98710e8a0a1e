"""Where the student stands, from the results kept per folder, running only what is not known.

:class:`Course` answers each exercise's :class:`blitz.student.state.Status` in one of three modes:

- ``"run"``    (`blitz watch`): results of files changed since they were checked are run again;
- ``"list"``   (`blitz list`): kept results are shown, those of changed files marked stale
  (:attr:`Course.stale`) without running anything; an exercise never checked is run once;
- ``"cached"`` (after `blitz check X`, to say what comes next): nothing runs; an exercise never
  checked reads "not checked yet".

Results are kept in the folder's ``.blitz/state.json`` under the exercise's id, with a fingerprint of
the exercise's files, the kit's checks and the context (:func:`kit_version`); they are computed by
the warm worker of :mod:`blitz.execution` (a fresh child per exercise), so the front ends never import
torch to show or run them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import blitz
from blitz.course import registry
from blitz.course.i18n import Msg, tr
from blitz.course.registry import Exercise
from blitz.engine.results import CheckResult, ExerciseResult, RunOutcome, RunState, Standing, Status
from blitz.execution.local import Engine
from blitz.execution.stops import engine_msg
from blitz.student.paths import command, exercise_file, shown_path
from blitz.student.state import ExerciseStatus, State, fingerprint

_KIT = ""
KEEP = (Standing.DONE, Standing.FAILING, Standing.NOT_STARTED)


def kit_version() -> str:
    """The kit's version and a hash of the code that judges (checks, probes, engine, runner)."""
    global _KIT
    if not _KIT:
        digest = hashlib.sha256(blitz.__version__.encode())
        root = Path(blitz.__file__).parent
        for part in ("checks", "probes", "engine", "execution"):
            for path in sorted((root / part).glob("*.py")):
                digest.update(path.name.encode() + path.read_bytes())
        _KIT = digest.hexdigest()[:16]
    return _KIT


def status_from_outcome(exercise: Exercise, outcome: RunOutcome) -> ExerciseStatus:
    """An exercise's status from the engine's outcome."""
    if not outcome.done:
        return ExerciseStatus.given(exercise, Standing.FAILING, engine_msg(outcome.why or outcome.state.value))
    results: list[CheckResult] = []
    for result in outcome.results:
        if result.status is Status.NO_DATA:  # the checks before it stand; the note says how to get MNIST
            return ExerciseStatus(exercise, ExerciseResult(exercise.id, results, Standing.NO_DATA, result.message))
        results.append(result)
    return ExerciseStatus(exercise, ExerciseResult(exercise.id, results))


class Course:
    """The exercises of one folder, their results kept by content, run by one warm worker."""

    def __init__(self, folder: Path, ctx: dict | None = None, state: State | None = None, engine: Engine | None = None):
        self.folder = folder
        self.ctx = {"device": "cpu", "seed": 0, "epochs": None, **(ctx or {})}
        self.state = state or State(folder)
        self._engine = engine
        self.stale: set[str] = set()  # exercises shown with the results of an older version of their files
        self.printed: dict[str, dict] = {}  # what the student's code printed, per exercise run here
        self._memo: dict[str, tuple[str, ExerciseStatus]] = {}  # what ran here, kept or not (no MNIST)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(label=str(self.folder))
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    def key(self, exercise: Exercise) -> str:
        extra = f"kit={kit_version()};seed={self.ctx['seed']};device={self.ctx['device']}"
        if not exercise.has_module:  # the capstone's verdict depends on the training budget too
            extra += f";epochs={self.ctx['epochs']}"
        return fingerprint(self.folder, exercise, extra)

    # -- kept results -------------------------------------------------------------------------

    def kept(self, exercise: Exercise, key: str | None = None) -> ExerciseStatus | None:
        """The kept status when it was computed on these very files (with `key`: on those)."""
        result = self.state.cached(exercise.id, key or self.key(exercise))
        return None if result is None else ExerciseStatus(exercise, result)

    def _last(self, exercise: Exercise) -> ExerciseStatus | None:
        """The kept status of an older version of the files, if any."""
        entry = self.state.data.get("results", {})
        entry = entry.get(exercise.id) if isinstance(entry, dict) else None
        if not isinstance(entry, dict):
            return None
        try:
            return ExerciseStatus(exercise, ExerciseResult.from_json(entry["result"]))
        except (KeyError, TypeError, ValueError, AttributeError):  # none, or from an older kit
            return None

    def remember(self, exercise: Exercise, key: str, status: ExerciseStatus, outcome: RunOutcome) -> None:
        self.printed[exercise.id] = outcome.printed
        if outcome.state is not RunState.CANCELLED:
            self._memo[exercise.id] = (key, status)
        if status.result.given is not None or status.state not in KEEP:
            return  # no MNIST, or the engine failed: nothing to keep
        self.state.remember(exercise.id, key, status.result)

    # -- states -------------------------------------------------------------------------------

    def status(self, exercise: Exercise, run_capstone: bool = False, mode: str = "run") -> ExerciseStatus:
        if exercise.has_module and not exercise_file(self.folder, exercise).is_file():
            path = shown_path(exercise_file(self.folder, exercise))
            return ExerciseStatus.given(
                exercise,
                Standing.MISSING,
                tr(
                    "{path} does not exist. Run `{value}` to get the original stub back.",
                    path=path,
                    value=command(f"blitz reset {exercise.id}", self.folder),
                ),
            )
        key = self.key(exercise)
        memo = self._memo.get(exercise.id)
        if memo is not None and memo[0] == key:
            return memo[1]
        kept = self.kept(exercise, key)
        if kept is not None:
            return kept
        if not exercise.has_module and not run_capstone:
            return self._capstone_waiting(exercise)
        last = self._last(exercise)
        if mode == "list" and last is not None:
            self.stale.add(exercise.id)
            return last
        if mode == "cached" or (mode == "list" and last is not None):
            return ExerciseStatus.given(exercise, Standing.UNCHECKED, self._unchecked(exercise))
        return self.run(exercise, key)

    def _unchecked(self, exercise: Exercise) -> Msg:
        return tr("Run `blitz check {exercise_id}` to check it.", exercise_id=exercise.id)

    def _capstone_waiting(self, exercise: Exercise) -> ExerciseStatus:
        waiting = [e for e in exercise.inputs if not self.status(registry.get(e), mode="cached").done]
        if waiting:
            names = ", ".join(waiting)
            return ExerciseStatus.given(exercise, Standing.NOT_STARTED, tr("Finish {names} first.", names=names))
        from blitz.course import mnist

        root = Path(self.ctx["data_root"]) if self.ctx.get("data_root") else mnist.data_root()
        missing = mnist.missing_files(root)
        if missing:  # what running it would say: list and watch agree
            return ExerciseStatus.given(exercise, Standing.NO_DATA, mnist.MnistMissing(root, missing).msg)
        return ExerciseStatus.given(
            exercise,
            Standing.UNCHECKED,
            tr(
                "Run `blitz check {exercise_id}`: it trains and evaluates your code on MNIST (under a minute on most computers).",
                exercise_id=exercise.id,
            ),
        )

    def run(self, exercise: Exercise, key: str | None = None, on_event=None) -> ExerciseStatus:
        """Every visible check of one exercise, in a fresh child of the warm worker."""
        key = key or self.key(exercise)
        outcome = self.engine.run_exercise(self.folder, exercise.id, self.ctx, on_event=on_event)
        status = status_from_outcome(exercise, outcome)
        if key == self.key(exercise):  # the files did not change while it ran
            self.remember(exercise, key, status, outcome)
        return status

    def forget(self, exercise_id: str) -> None:
        """Run it again next time, even on the same files (`r` in `blitz watch`)."""
        self._memo.pop(exercise_id, None)

    def accept(self, exercise: Exercise, key: str, outcome: RunOutcome) -> ExerciseStatus:
        """Take a result computed on the files whose fingerprint was `key` (`blitz watch`)."""
        status = status_from_outcome(exercise, outcome)
        self.remember(exercise, key, status, outcome)
        return status

    def statuses(self, run_capstone: bool = False, mode: str = "run") -> list[ExerciseStatus]:
        return [self.status(e, run_capstone, mode) for e in registry.EXERCISES]

    def next_unfinished(self) -> Exercise | None:
        """The next exercise not done: kept results where the files are unchanged, the rest run in order
        until one is not done (the optional ones after the required ones)."""
        for optional in (False, True):
            for exercise in (e for e in registry.EXERCISES if e.optional == optional):
                if not self.status(exercise).done:
                    return exercise
        return None
