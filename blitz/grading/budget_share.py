"""The capstone's budget shared by the processes of one grading pool while its first task measures it
(blitz/grading/capstone_budget.py): every capstone check of the run waits for the same value."""

from __future__ import annotations

import time
from collections.abc import Callable

# Options.capstone_budget while the pool's first task measures it (:func:`awaited` reads the shared value).
MEASURING = -1.0
AWAIT_SECONDS = 900.0  # how long a capstone check waits for the measurement before taking the default budget

# A multiprocessing.Value("d") made by the batch and set here by :func:`share` (each pool process's
# initializer): 0 until the measuring task publishes the budget.
_shared = None


def share(value) -> None:
    """In a pool process: where the run's measured budget will appear."""
    global _shared
    _shared = value


def publish(seconds: float) -> None:
    """The measuring task's result, for every capstone check of the pool."""
    if _shared is not None:
        _shared.value = seconds


def awaited(fallback: float, wait: Callable[[float], None] = time.sleep) -> float:
    """The run's measured budget, once the measuring task has published it (`fallback` if it never does)."""
    deadline = time.monotonic() + AWAIT_SECONDS
    while _shared is not None and time.monotonic() < deadline:
        if _shared.value > 0:
            return float(_shared.value)
        wait(0.05)
    return fallback
