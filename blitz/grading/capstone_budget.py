"""The capstone's grading budget from the reference's time on the grading machine (issue 23.6).

At the start of a grading run (`blitz grade`), the reference pipeline (solutions/: the course's data,
CNN, loop and evaluation) runs the capstone's probe once, in the grader's own process, with the thread
count each grading worker gets, training one epoch on MEASURED_IMAGES images (the training time scaled
to the whole subset and the graded epochs); the capstone's budget is then BUDGET_MULTIPLE times that,
and never less than MIN_BUDGET seconds. A looping student costs that budget, not a fixed floor; a slow
machine (or a loaded one) measures slower and gives everyone more time in proportion.

``BLITZ_REFERENCE_SECONDS`` (seconds) stands for the measurement: it skips the run (for the tests, and
for an instructor who measured once).

When `blitz grade` grades on a pool of processes, the measurement is the pool's first task
(:func:`measure_shared`) instead of a wait before the pool starts: the other pool processes grade
meanwhile, and each capstone check waits for the one shared value (:mod:`blitz.grading.budget_share`), so every
submission of the run gets the same budget. Alone, or on Dask, it is measured before grading starts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from blitz.course import mnist
from blitz.course.i18n import Msg, tr
from blitz.grading import budget_share

if TYPE_CHECKING:
    from blitz.grading.runner import Options

BUDGET_MULTIPLE = 6.0  # the reference's time, times this: room for contention among workers, slower code
MIN_BUDGET = 30.0  # seconds: however fast the reference ran
ENV = "BLITZ_REFERENCE_SECONDS"
# The reference trains one epoch on this many images of the capstone's subset; its training time is scaled up
# to the whole subset and the graded epochs (a fifth of the time of the whole run, the same estimate).
MEASURED_IMAGES = 1000


@dataclass(frozen=True)
class CapstoneBudget:
    """The capstone's measured budget: `seconds`, from `reference_seconds` (and whether that was measured)."""

    reference_seconds: float
    seconds: float
    measured: bool

    def text(self) -> str:
        how = "measured" if self.measured else f"given by {ENV}"
        return (
            f"capstone budget {self.seconds:.0f} s = max({MIN_BUDGET:g} s, {BUDGET_MULTIPLE:g} x the reference's "
            f"{self.reference_seconds:.1f} s, {how} on this machine)"
        )


def budget_for(reference_seconds: float) -> float:
    """The capstone's budget for a reference that took `reference_seconds`."""
    return max(MIN_BUDGET, BUDGET_MULTIPLE * reference_seconds)


def _given() -> float | None:
    try:
        value = float(os.environ.get(ENV, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def measure(data_root: str, device: str = "cpu", threads: int | None = None, epochs: int = 2) -> CapstoneBudget:
    """Time the reference pipeline here once (or take ``BLITZ_REFERENCE_SECONDS``); the budget it gives."""
    given = _given()
    if given is not None:
        return CapstoneBudget(given, budget_for(given), measured=False)
    from blitz.course import registry
    from blitz.exercises.pipeline import probes
    from blitz.probes.local import LocalSubmission

    sub = LocalSubmission(Path(registry.ROOT) / "solutions", label="reference")
    started = time.perf_counter()
    ran = probes.pipeline(sub, data_root, 1, 0, 50, device, threads=threads or None, train_limit=MEASURED_IMAGES)
    seconds = round(_whole_run(ran, time.perf_counter() - started, epochs), 2)
    return CapstoneBudget(seconds, budget_for(seconds), measured=True)


def _whole_run(ran: dict, elapsed: float, epochs: int) -> float:
    """The reference's time on the whole subset for `epochs` epochs, from one epoch on MEASURED_IMAGES of it:
    the data, the model and the evaluation as they took; the training scaled by images and epochs (a
    training step's time does not depend on which images it sees)."""
    fit = float(ran["fastpath"]["seconds"].get("fit", 0.0))
    images = min(ran["loaded_train_size"] or mnist.CHECK_TRAIN_IMAGES, mnist.CHECK_TRAIN_IMAGES)
    trained = max(1, min(MEASURED_IMAGES, images))
    return elapsed - fit + fit * (images / trained) * epochs


def measure_shared(options: Options) -> tuple[float, Msg | None]:
    """The pool's first task: measure, set the shared budget (the default one when the measurement failed),
    and return it with what to say."""
    measured, said = measured_options(options)
    seconds = measured.capstone_budget if measured.capstone_budget > 0 else options.budget_default()
    budget_share.publish(seconds)
    return seconds, said


def for_grade(options: Options, dask: bool) -> tuple[Options, Msg | None]:
    """`blitz grade`'s options, and what to say now: for Dask the budget measured now; for a local batch
    measured by the batch (the pool's first task, or before grading alone); untouched without the capstone."""
    from blitz.course import registry

    if registry.CAPSTONE.id not in options.exercises:
        return options, None
    if not dask:
        return replace(options, capstone_budget=budget_share.MEASURING), None
    return measured_options(options)


def measured_options(options: Options) -> tuple[Options, Msg | None]:
    """`options` with the capstone's budget measured now, and what to say about it; unchanged (nothing to
    say) when the capstone is not graded or MNIST is not there. `blitz grade` and the Gradescope run call it
    once, at their start."""
    from blitz.course import registry

    data_root = Path(options.data_root) if options.data_root else mnist.data_root()
    if registry.CAPSTONE.id not in options.exercises or mnist.missing_files(data_root):
        return options, None
    try:
        measured = measure(str(data_root), options.device, options.threads or None, options.epochs or 2)
    except Exception as exc:  # noqa: BLE001 - the budget falls back to the registry's; grading goes on
        return options, not_timed(exc, options.budget_default())
    return replace(options, capstone_budget=measured.seconds), said_of(measured)


def not_timed(exc: BaseException, fallback: float) -> Msg:
    """What `blitz grade` says when the reference could not be timed (the default budget then holds)."""
    return tr(
        "could not time the reference ({type_exc___name}); the capstone's budget is the default {fallback:.0f} s.",
        type_exc___name=type(exc).__name__,
        fallback=fallback,
    )


def said_of(measured: CapstoneBudget) -> Msg:
    """What `blitz grade` says of the measured budget."""
    return Msg(
        f"全流程的时间上限：{measured.seconds:.0f} 秒（参考答案在这台机器上用了 {measured.reference_seconds:.1f} 秒，"
        f"乘以 {BUDGET_MULTIPLE:g}，至少 {MIN_BUDGET:g} 秒）",
        measured.text(),
    )
