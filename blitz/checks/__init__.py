"""The checks, one module per exercise id (blitz/checks/<id>.py), in the course's order.

Each module registers its checks with :func:`blitz.engine.check.check`; this package imports them
all and is where the rest of the kit looks a check up.
"""

from __future__ import annotations

from blitz.checks import autograd, data, evaluate, extras, model, pipeline, tensors, train  # noqa: F401 - registers
from blitz.course import registry
from blitz.engine.catalog import CapstoneData, Context
from blitz.engine.check import Check, CheckFailure, registered, run_check
from blitz.engine.results import CheckResult, Status

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
