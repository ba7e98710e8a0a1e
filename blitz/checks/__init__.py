"""The checks, one module per exercise id (blitz/checks/<id>.py), in the course's order.

Each module registers its checks with :func:`blitz.engine.check.check`; this package imports them
all and is where the rest of the kit looks a check up.
"""

from __future__ import annotations

from blitz.course import registry
from blitz.engine.catalog import CapstoneData, Context
from blitz.engine.check import Check, CheckFailure, registered, run_check
from blitz.engine.results import CheckResult, Status
from blitz.exercises.autograd import checks as _autograd  # noqa: F401 - registers
from blitz.exercises.data import checks as _data  # noqa: F401
from blitz.exercises.evaluate import checks as _evaluate  # noqa: F401
from blitz.exercises.extras import checks as _extras  # noqa: F401
from blitz.exercises.model import checks as _model  # noqa: F401
from blitz.exercises.pipeline import checks as _pipeline  # noqa: F401
from blitz.exercises.tensors import checks as _tensors  # noqa: F401
from blitz.exercises.train import checks as _train  # noqa: F401

__all__ = [
    "CapstoneData",
    "Check",
    "CheckFailure",
    "CheckResult",
    "Context",
    "Status",
    "all_checks",
    "checks_for",
    "get_check",
    "run_check",
]


def checks_for(exercise_id: str) -> list[Check]:
    registry.get(exercise_id)  # a clear error for an unknown id
    return registered(exercise_id)


def get_check(key: str) -> Check:
    exercise_id, _, name = key.partition(".")
    for entry in checks_for(exercise_id):
        if entry.name == name:
            return entry
    raise KeyError(f"no check {key!r}; {exercise_id} has: {', '.join(c.name for c in checks_for(exercise_id))}")


def all_checks() -> list[Check]:
    return [c for exercise in registry.EXERCISES for c in checks_for(exercise.id)]
