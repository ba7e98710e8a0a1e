"""How long student code may run: the one time budget of every placement, its stated defaults.

Each check has its own budget, in both placements: the probes one check calls share it, and a loop
in one function fails only its check, never the checks after it (the next one gets a fresh child).

Local placement (check, watch, pytest): each check runs under its exercise's limit (seconds, counted from the check's first probe):

- module exercises: 10 s per check (the slowest reference check, data's, took 3.3 s on the 2-core
  development machine under a load of 7); ``data`` and ``train`` train small models: 30 s;
- the capstone (``pipeline``, one check that trains on MNIST): 120 s for the default 2 epochs, about
  9x the reference's 13.3 s measured on that machine under the same load; more epochs, more time.

``BLITZ_TIME_LIMIT`` (seconds) replaces every limit: for slow machines, and for the tests.
After two time-outs or crashes in one exercise, its remaining checks are marked not run (not waited for).

Sandboxed placement (grade, Gradescope, nbgrader scores): one budget per check for
its probes, the grader's ``--timeout`` (:func:`grading_budget`); an exercise whose registry entry
declares a ``budget`` (the capstone: it trains a CNN on MNIST) gets at least that. What is printed is kept by
:mod:`blitz.execution.output`.
"""

from __future__ import annotations

import os

from blitz.course import registry

# Sandboxed placement: the grader's default --timeout, per check. A correct reference check takes under
# 1.5 s there (train's, the slowest module check, on the 2-core development machine); 20 s leaves room for
# slow but correct code on a loaded machine, and a looping student costs that per check, not a minute
# (benchmarks/bench_class.py). The capstone's budget is measured (blitz/grading/capstone_budget.py).
GRADING_TIMEOUT = 20.0
DEFAULT_LIMIT = 10.0
LIMITS = {"data": 30.0, "train": 30.0}
CAPSTONE_LIMIT = 120.0  # for CAPSTONE_EPOCHS epochs
CAPSTONE_EPOCHS = 2
MAX_STOPS = 2  # time-outs and crashes per exercise before the rest is not run


def time_limit(exercise_id: str, has_module: bool = True, epochs: int | None = None) -> float:
    """Seconds one check of `exercise_id` may run."""
    override = os.environ.get("BLITZ_TIME_LIMIT", "")
    try:
        if override and float(override) > 0:
            return float(override)
    except ValueError:
        pass
    if not has_module:
        return CAPSTONE_LIMIT * max(1.0, (epochs or CAPSTONE_EPOCHS) / CAPSTONE_EPOCHS)
    return LIMITS.get(exercise_id, DEFAULT_LIMIT)


def grading_budget(exercise_id: str, timeout: float) -> float:
    """Seconds the probes of one check of `exercise_id` may run in the sandboxed placement, `timeout` the grader's."""
    declared = registry.get(exercise_id).budget if exercise_id in registry.BY_ID else None
    return max(timeout, declared or 0.0)
